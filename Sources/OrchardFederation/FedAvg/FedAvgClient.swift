import OrchardData
import OrchardNN
import OrchardTensor

/// FedAvg's client half: load the global model, train locally with a fresh optimizer, send it back.
///
/// One instance serves all the logical clients of a host process, one task at a time, and builds
/// its network anew for each task (`ModelPerTaskClient`), so a client's result does not depend on
/// which host ran it or what ran before.
public final class FedAvgClient: ModelPerTaskClient {
    let setup: MethodSetup
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup) throws {
        self.setup = setup
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train else { throw FederationError("fedavg clients do not run '\(task.kind)' tasks") }
        try network.load(task.tensors)
        task.tensors = []
        let memory = try ClientMemory.check(network, task: task, client: client)
        if let refusal = memory.refusal { return refusal }
        var (metrics, _) = try LocalSGD.train(network, task: task, client: client, seed: setup.seed)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        return ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: network.stateTensors)
    }
}
