import Foundation
import OrchardData
import OrchardFederation
import OrchardTestSupport
import OrchardWire
import Testing

@testable import OrchardRuntime

@Suite("Masks a host lost", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct MaskResendTests {
    static let setup = MethodSetup(
        seed: 4, model: "logreg", sampleShape: [1, 28, 28], classes: 10,
        training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05),
        settings: [
            "density": .number(0.1), "prune_first_layer": .boolean(true), "criterion": .choice("magnitude"),
            "distribution": .choice("erk"), "budget": .choice("all"), "storage": .choice("compact"),
        ])

    /// A host that lost its masks without saying hello (a restart the coordinator has not heard of
    /// yet) fails the reference with an error naming the tensor, and gets the positions at once; the
    /// device is still counted as holding the mask, and the model resolved is the one sent.
    @Test func aHostThatLostAMaskGetsThePositionsAgain() throws {
        let (recorder, seen) = try Self.run(forgetting: .silentlyAfterFirstTask)
        let (tensors, errors) = seen.withLock { ($0.tensors, $0.errors) }
        #expect(errors.count == 1, "\(errors)")
        let error = errors.first ?? ""
        #expect(error.contains("client 0") && error.contains("tensor '") && error.contains("does not hold"), "\(error)")
        #expect(tensors.count == 2 && zip(tensors[0], tensors[1]).allSatisfy { $0.payload == $1.payload })
        let second = try #require(recorder.commits.last)
        let tasks = second.messages.filter { $0.kind == "task" }
        #expect(tasks.count == 1 && tasks[0].encoding.contains("MASK_UNCHANGED"))
        #expect(second.messages.contains { $0.kind == "task (sent again)" && $0.bytes == tasks[0].bytes })
        #expect(second.clientRounds.first?.status == .refused)
    }

    /// A host that restarts while a task referring to a mask is on its way says hello (which sends
    /// the task again with its positions) and then fails the old copy: that error is stale, so the
    /// task goes once more only, and the host resolves and answers one copy.
    @Test func aStaleMissingMaskErrorAfterHelloSendsNothingMore() throws {
        let (recorder, seen) = try Self.run(forgetting: .restartingBeforeSecondTask)
        let (tensors, errors) = seen.withLock { ($0.tensors, $0.errors) }
        #expect(errors.count == 1, "\(errors)")
        #expect(tensors.count == 2, "the host resolved \(tensors.count) copies")
        #expect(tensors.count == 2 && zip(tensors[0], tensors[1]).allSatisfy { $0.payload == $1.payload })
        let second = try #require(recorder.commits.last)
        #expect(second.messages.filter { $0.kind == "task (sent again)" }.count == 1)
        #expect(second.clientRounds.first?.status == .refused)
    }

    /// When the host of `serve` forgets its masks.
    enum Forgetting {
        /// After answering its first task, without telling the coordinator.
        case silentlyAfterFirstTask
        /// On receiving its second task, before reading it: it says hello again, as a new process would.
        case restartingBeforeSecondTask
    }

    /// Runs two rounds of fixed-mask training for client 0 against a host thread that forgets.
    static func run(forgetting: Forgetting) throws -> (MemoryRecorder, Seen) {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 20, testCount: 10, seed: 4)
        let profiles = [ClientProfile(id: 0)]
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: 2, model: "logreg")
        settings.taskTimeout = 60
        let recorder = MemoryRecorder()
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: ClientSampler(seed: 4, profiles: profiles, perRound: 1),
            method: try MethodRegistry.standard.server("fixed-mask", setup: Self.setup), test: split.test,
            recorder: recorder)
        let endpoint = coordinator.boundEndpoint
        let seen = Seen()
        let host = Thread {
            do {
                try Self.serve(endpoint: endpoint, seen: seen, forgetting: forgetting)
            } catch {
                Issue.record("forgetful host failed: \(error)")
            }
        }
        host.start()
        try coordinator.waitForHosts()
        _ = try coordinator.run()
        coordinator.shutdownHosts(reason: "test over")
        while !host.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return (recorder, seen)
    }

    /// Serves client 0: resolves each task and refuses it, forgetting its masks once as `forgetting` says.
    static func serve(endpoint: String, seen: Seen, forgetting: Forgetting) throws {
        let context = try ZMQContext()
        let codec = MessageCodec()
        let socket = try ZMQSocket.clientDealer(context: context, hostID: "forgetful")
        try socket.connect(endpoint)
        let capabilities = ClientCapabilities(
            clientID: 0, memoryBudgetBytes: 0, computeFLOPsPerSecond: 0, uplinkBitsPerSecond: 0,
            downlinkBitsPerSecond: 0, latencySeconds: 0)
        let hello = try codec.encode(Message(body: .hello(Hello(hostID: "forgetful", clients: [capabilities]))))
        try socket.send(hello, to: nil)
        var cache = HostMaskCache()
        var (received, answered) = (0, 0)
        while true {
            let message = try codec.decode(try socket.receiveMessage()).message
            if case .shutdown = message.body { return }
            guard case .task(let task) = message.body else { continue }
            received += 1
            if forgetting == .restartingBeforeSecondTask && received == 2 {
                cache = HostMaskCache()
                try socket.send(hello, to: nil)
            }
            var result = ClientResult(
                client: 0, round: Int(message.round), kind: .train, outcome: .refused, reason: "test")
            do {
                let tensors = try cache.tensors(from: message.tensors, client: 0, round: Int(message.round))
                seen.withLock { $0.tensors.append(tensors) }
                answered += 1
                // A restart the coordinator does not know of yet.
                if forgetting == .silentlyAfterFirstTask && answered == 1 { cache = HostMaskCache() }
            } catch let error as MissingMaskError {
                seen.withLock { $0.errors.append(error.description) }
                result.outcome = .error
                result.reason = error.description
                result.metrics[MissingMaskError.metric] = 1
            }
            let reply = try TaskMessages.message(result, taskID: task.taskID, runID: message.runID)
            try socket.send(try codec.encode(reply), to: nil)
        }
    }
}

/// What the forgetful host saw, shared with the test's thread.
final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var state: (tensors: [[NamedTensor]], errors: [String]) = ([], [])

    func withLock<Result>(_ body: (inout (tensors: [[NamedTensor]], errors: [String])) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }
}
