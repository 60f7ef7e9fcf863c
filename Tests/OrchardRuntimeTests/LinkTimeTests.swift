import Foundation
import OrchardFederation
import OrchardStore
import Testing

@testable import OrchardRuntime

/// `Coordinator.Settings.measureLinks`: each answered task's measured link time beside the virtual clock's.
@Suite("Measured link times", .serialized, .tags(.endToEnd), .timeLimit(.minutes(5)))
struct LinkTimeTests {
    let hosts = CoordinatorTests()

    func run(measuring: Bool) throws -> (commits: [RoundCommit], profiles: [ClientProfile]) {
        let (clients, test) = try hosts.shards()
        let profiles = clients.map {
            ClientProfile(
                id: $0.id, group: $0.id < 3 ? "slow" : "fast", uplinkBitsPerSecond: $0.id < 3 ? 1e6 : 50e6,
                downlinkBitsPerSecond: $0.id < 3 ? 4e6 : 100e6, latencySeconds: 0.02, flopsPerSecond: 1e9)
        }
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: 2, model: "logreg")
        settings.measureLinks = measuring
        let recorder = MemoryRecorder()
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: ClientSampler(seed: 4, profiles: profiles, perRound: 4),
            method: try FedAvgServer(setup: hosts.setup), test: test, recorder: recorder)
        let threads = hosts.startHosts([clients], endpoint: coordinator.boundEndpoint, profiles: profiles)
        try coordinator.waitForHosts()
        #expect(try coordinator.run() == .completed)
        coordinator.shutdownHosts(reason: "test over")
        while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.01) }
        return (recorder.commits, profiles)
    }

    @Test func everyAnsweredTaskHasItsMeasuredAndPredictedTime() throws {
        let (commits, profiles) = try run(measuring: true)
        #expect(commits.count == 2)
        for commit in commits {
            let answered = commit.clientRounds.filter { $0.status == .ok }.map(\.clientID).sorted()
            #expect(commit.linkTimes.map(\.clientID).sorted() == answered)
            for time in commit.linkTimes {
                let down = commit.messages.first { $0.clientID == time.clientID && $0.kind == "task" }
                let up = commit.messages.first { $0.clientID == time.clientID && $0.kind == "result" }
                #expect(time.bytesDown == down?.bytes && time.bytesUp == up?.bytes)
                let predicted = VirtualClock.communicationSeconds(
                    profile: profiles[time.clientID], bytesDown: time.bytesDown, bytesUp: time.bytesUp)
                #expect(time.predictedSeconds == predicted)
                #expect(time.measuredSeconds >= 0 && time.measuredSeconds.isFinite)
            }
            // The host's own time is a link time's input, not a client figure.
            #expect(commit.clientRounds.allSatisfy { $0.metrics[ClientHost.hostSecondsMetric] == nil })
        }
    }

    @Test func aRunThatDoesNotMeasureRecordsNoLinkTime() throws {
        let (commits, _) = try run(measuring: false)
        #expect(commits.count == 2 && commits.allSatisfy { $0.linkTimes.isEmpty })
    }
}
