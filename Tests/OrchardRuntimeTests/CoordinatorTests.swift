import Foundation
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardStore
import OrchardTestSupport
import OrchardWire
import Synchronization
import Testing

@testable import OrchardRuntime

/// Collects what the coordinator commits.
final class MemoryRecorder: RoundRecorder {
    var commits: [RoundCommit] = []

    func commit(_ round: RoundCommit) throws { commits.append(round) }
}

@Suite("Coordinator with hosts over real sockets", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct CoordinatorTests {
    let setup = MethodSetup(
        seed: 4, model: "logreg", sampleShape: [1, 28, 28], classes: 10,
        training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05))

    func shards() throws -> (clients: [LocalClient], test: Dataset) {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 240, testCount: 60, seed: 4)
        let parts = try Partition.iid(count: split.train.count, clients: 6, seed: 4)
        return (parts.enumerated().map { LocalClient(id: $0.offset, data: split.train.subset($0.element)) }, split.test)
    }

    /// Runs hosts on threads, each with its own sockets and its own client method.
    func startHosts(_ groups: [[LocalClient]], endpoint: String, profiles: [ClientProfile]) -> [Thread] {
        groups.enumerated().map { index, clients in
            let setup = setup
            let thread = Thread {
                do {
                    let method = try FedAvgClient(setup: setup)
                    let host = try ClientHost(
                        settings: ClientHost.Settings(endpoint: endpoint, hostID: "test-host-\(index)"),
                        clients: try HostClients(clients), method: method)
                    try host.run()
                } catch {
                    Issue.record("host \(index) failed: \(error)")
                }
            }
            thread.start()
            return thread
        }
    }

    @Test func roundsOverTheWireEqualRoundsInProcess() throws {
        let (clients, test) = try shards()
        let profiles = clients.map { ClientProfile(id: $0.id, flopsPerSecond: 1e9) }
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: 3, model: "logreg")
        settings.evaluateEvery = 3
        settings.checkpointEvery = 2
        let server = try FedAvgServer(setup: setup)
        let recorder = MemoryRecorder()
        let sampler = ClientSampler(seed: 4, profiles: profiles, perRound: 4)
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: sampler, method: server, test: test, recorder: recorder)
        let hosts = startHosts(
            [Array(clients[0..<2]), Array(clients[2...])], endpoint: coordinator.boundEndpoint, profiles: profiles)
        try coordinator.waitForHosts()
        let outcome = try coordinator.run()
        coordinator.shutdownHosts(reason: "test over")
        while hosts.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.01) }
        #expect(outcome == .completed)

        // The same rounds without sockets or processes.
        let reference = try FedAvgServer(setup: setup)
        let local = try FedAvgClient(setup: setup)
        for round in 1...3 {
            let results = try reference.tasks(round: round, clients: sampler.sample(round: round)).map { task in
                var result = try local.run(task, on: clients[task.client])
                result.tensors = try result.tensors.map {
                    NamedTensor(name: $0.name, tensor: try $0.denseTensor().copy())
                }
                return result
            }
            try reference.aggregate(round: round, results: results)
        }
        #expect(ParameterArchive(server.global).values == ParameterArchive(reference.global).values)

        #expect(recorder.commits.map(\.round.round) == [1, 2, 3])
        #expect(recorder.commits.map { $0.checkpoint != nil } == [false, true, true])
        #expect(
            recorder.commits.allSatisfy { commit in
                commit.round.answered == 4
                    && commit.messages.filter { $0.kind == "task" || $0.kind == "result" }.count == 8
            })
        // The two hosts' hellos and their welcomes are recorded with the first round.
        let control = recorder.commits[0].messages.filter { $0.clientID == nil }
        #expect(control.filter { $0.kind == "hello" && $0.direction == .up }.count == 2)
        #expect(control.filter { $0.kind == "welcome" && $0.direction == .down }.count == 2)
        #expect(control.allSatisfy { $0.encoding == "none" && $0.bytes > 0 })
        #expect(recorder.commits[2].round.testAccuracy != nil && recorder.commits[0].round.testAccuracy == nil)
        let down = recorder.commits[0].messages.filter { $0.kind == "task" }
        #expect(down.allSatisfy { $0.bytes > 7850 * 4 && $0.encoding == "DENSE_F32" })
        #expect(recorder.commits[0].round.simSeconds > 0)
    }

    /// A silent host's task times out while the real host's results count.
    ///
    /// The task timeout, 5 s, is hundreds of times what a task of this logistic regression on 40
    /// samples takes, so the real host's tasks never reach it however busy the cores are. The
    /// round waits for the last deadline of its tasks, the timeout times the longest queue of a
    /// host (two tasks here).
    @Test func aHostThatNeverAnswersIsTimedOutAndTheRoundGoesOn() throws {
        let (clients, test) = try shards()
        let profiles = clients.prefix(3).map { ClientProfile(id: $0.id) }
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: 1, model: "logreg")
        settings.taskTimeout = 5
        let recorder = MemoryRecorder()
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: ClientSampler(seed: 4, profiles: profiles, perRound: 3),
            method: try FedAvgServer(setup: setup), test: test, recorder: recorder)
        // Clients 0 and 1 have a real host; client 2 is claimed by a silent socket.
        let hosts = startHosts([Array(clients[0..<2])], endpoint: coordinator.boundEndpoint, profiles: profiles)
        let silent = try SilentHost(endpoint: coordinator.boundEndpoint, clients: [2])
        try coordinator.waitForHosts()
        _ = try coordinator.run()
        coordinator.shutdownHosts(reason: "test over")
        while hosts.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.01) }
        withExtendedLifetime(silent) {}
        let commit = try #require(recorder.commits.first)
        #expect(commit.round.answered == 2)
        #expect(commit.clientRounds.filter { $0.status == .timeout }.map(\.clientID) == [2])
    }
}

@Suite("A host that reconnects", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct ReconnectingHostTests {
    /// A host whose socket is replaced before it answers (the lazy pirate's reconnect) says hello
    /// again and gets its unanswered task again, with the same task id, long before the timeout: the
    /// refusal it sends in answer is recorded, which a task timed out would not be.
    @Test func pendingTasksAreSentAgainAfterAHello() throws {
        let setup = MethodSetup(
            seed: 4, model: "logreg", sampleShape: [1, 28, 28], classes: 10,
            training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05))
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 20, testCount: 10, seed: 4)
        let profiles = [ClientProfile(id: 0)]
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: 1, model: "logreg")
        settings.taskTimeout = 60
        let recorder = MemoryRecorder()
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: ClientSampler(seed: 4, profiles: profiles, perRound: 1),
            method: try FedAvgServer(setup: setup), test: split.test, recorder: recorder)
        let endpoint = coordinator.boundEndpoint
        let taskIDs = Mutex<[UInt64]>([])
        let host = Thread {
            do {
                let context = try ZMQContext()
                let codec = MessageCodec()
                func connect() throws -> ZMQSocket {
                    let socket = try ZMQSocket.clientDealer(context: context, hostID: "forgetful")
                    try socket.connect(endpoint)
                    let hello = Hello(
                        hostID: "forgetful",
                        clients: [
                            ClientCapabilities(
                                clientID: 0, memoryBudgetBytes: 0, computeFLOPsPerSecond: 0, uplinkBitsPerSecond: 0,
                                downlinkBitsPerSecond: 0, latencySeconds: 0)
                        ])
                    try socket.send(try codec.encode(Message(body: .hello(hello))), to: nil)
                    return socket
                }
                func nextTask(_ socket: ZMQSocket) throws -> (Message, TaskAssignment) {
                    while true {
                        let message = try codec.decode(try socket.receiveMessage()).message
                        if case .task(let assignment) = message.body { return (message, assignment) }
                    }
                }
                let first = try connect()
                let (_, lost) = try nextTask(first)
                first.close()
                let second = try connect()
                let (message, again) = try nextTask(second)
                taskIDs.withLock { $0 = [lost.taskID, again.taskID] }
                let refusal = TaskResult(
                    taskID: again.taskID, clientID: again.clientID, status: .refused, reason: "test", metrics: [:])
                try second.send(
                    try codec.encode(Message(runID: message.runID, round: message.round, body: .result(refusal))),
                    to: nil)
                _ = try? second.receiveMessage()
            } catch {
                Issue.record("forgetful host failed: \(error)")
            }
        }
        host.start()
        try coordinator.waitForHosts()
        _ = try coordinator.run()
        coordinator.shutdownHosts(reason: "test over")
        let ids = taskIDs.withLock { $0 }
        #expect(ids.count == 2 && ids[0] == ids[1])
        #expect(recorder.commits.first?.clientRounds.first?.status == .refused)
    }
}
