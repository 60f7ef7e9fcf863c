import OrchardFederation
import OrchardStore

extension Coordinator {
    /// A task's measured time on its link beside the virtual clock's prediction, when the run
    /// measures links and the task was answered.
    ///
    /// The measured time is the task's round trip at the coordinator, from its last copy going to
    /// the socket to its result being read, less the time the host says the task spent with it
    /// (`host_seconds`): the transfer down, the result's transfer up, and what the two ends' ZeroMQ
    /// and TCP stacks add.
    func linkTime(of result: ClientResult, bytesDown: Int, bytesUp: Int) -> LinkTimeRecord? {
        guard settings.measureLinks, result.outcome == .ok, let profile = clients.profile(of: result.client),
            let sent = taskSentAt[result.client], let arrived = resultArrivedAt[result.client],
            let hostSeconds = result.metrics[ClientHost.hostSecondsMetric], hostSeconds >= 0
        else { return nil }
        return LinkTimeRecord(
            clientID: result.client, measuredSeconds: max(0, (arrived - sent).inSeconds - hostSeconds),
            predictedSeconds: VirtualClock.communicationSeconds(
                profile: profile, bytesDown: bytesDown, bytesUp: bytesUp),
            bytesDown: bytesDown, bytesUp: bytesUp)
    }
}
