import Foundation
import InMemoryLogging
import Logging
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardPayload
import OrchardStore
import OrchardTensor
import OrchardWire
import Synchronization
import Testing

@testable import OrchardRuntime

/// A FedAvg run over real sockets with one honest host serving every client, and a hostile peer
/// beside it; the final model must be the clean run's, computed without sockets.
struct HostileRun {
    static let setup = MethodSetup(
        seed: 4, model: "logreg", sampleShape: [1, 28, 28], classes: 10,
        training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05))
    static let rounds = 2

    let clients: [LocalClient]
    let test: Dataset
    let profiles: [ClientProfile]
    let sampler: ClientSampler

    init() throws {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 160, testCount: 40, seed: 4)
        let parts = try Partition.iid(count: split.train.count, clients: 4, seed: 4)
        clients = parts.enumerated().map { LocalClient(id: $0.offset, data: split.train.subset($0.element)) }
        test = split.test
        profiles = clients.map { ClientProfile(id: $0.id) }
        sampler = ClientSampler(seed: 4, profiles: profiles, perRound: 3)
    }

    /// What a run with an attacker left: the model, the commits, the coordinator's log records
    /// and the attacker's view.
    struct Outcome {
        var values: [Float]
        var commits: [RoundCommit]
        var records: [InMemoryLogHandler.Entry]
        var coordinator: Coordinator

        /// The messages of the log records.
        var log: [String] { records.map { "\($0.message)" } }
    }

    /// Runs the rounds with the honest host, and `attack` on a thread of its own from the start
    /// of the first round until the run ends (it should return when `stop` is set).
    ///
    /// With `armed`, the attack starts before the honest host, which starts once the attack has
    /// set it (or after 60 s), so that a burst sent first is read before the rounds end.
    func run(
        heartbeat: Duration = .milliseconds(200), taskTimeout: Double = 60, precision: ValuePrecision = .float32,
        armed: StopFlag? = nil,
        attack: @escaping @Sendable (_ endpoint: String, _ stop: StopFlag) throws -> Void
    ) throws -> Outcome {
        var settings = Coordinator.Settings(endpoint: "tcp://127.0.0.1:*", rounds: Self.rounds, model: "logreg")
        settings.heartbeatInterval = heartbeat
        settings.taskTimeout = taskTimeout
        settings.valuePrecision = precision
        settings.wire.limits = RunLimits.decoding(for: try Self.setup.makeNetwork())
        let recorder = MemoryRecorder()
        let handler = InMemoryLogHandler()
        let coordinator = try Coordinator(
            settings: settings, profiles: profiles, sampler: sampler, method: try FedAvgServer(setup: Self.setup),
            test: test, recorder: recorder,
            workOfClient: Dictionary(uniqueKeysWithValues: clients.map { ($0.id, $0.data.count) }),
            logger: Logger(label: "test.coordinator") { _ in handler })
        let endpoint = coordinator.boundEndpoint
        let stop = StopFlag()
        let attacker = Thread {
            do { try attack(endpoint, stop) } catch { Issue.record("the attacker failed: \(error)") }
        }
        let honest: Thread
        if let armed {
            // The burst is queued at the coordinator before the honest host says hello, so that
            // waiting for hosts and the first round's first read take every message of it.
            attacker.start()
            let deadline = ContinuousClock.now + .seconds(60)
            while !armed.isSet, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: 0.5)
            honest = startHonestHost(endpoint: endpoint)
            try coordinator.waitForHosts()
        } else {
            honest = startHonestHost(endpoint: endpoint)
            try coordinator.waitForHosts()
            attacker.start()
            // The attacker's first messages reach the coordinator before the first round's tasks.
            Thread.sleep(forTimeInterval: 0.3)
        }
        let outcome = try coordinator.run()
        coordinator.shutdownHosts(reason: "test over")
        stop.set()
        while !honest.isFinished || !attacker.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(outcome == .completed)
        return Outcome(
            values: ParameterArchive(coordinator.method.global).values, commits: recorder.commits,
            records: handler.entries, coordinator: coordinator)
    }

    func startHonestHost(endpoint: String) -> Thread {
        let (setup, clients) = (Self.setup, clients)
        let thread = Thread {
            do {
                let host = try ClientHost(
                    settings: ClientHost.Settings(endpoint: endpoint, hostID: "honest"),
                    clients: try HostClients(clients),
                    method: try FedAvgClient(setup: setup))
                try host.run()
            } catch {
                Issue.record("the honest host failed: \(error)")
            }
        }
        thread.start()
        return thread
    }

    /// The clean run's final model, without sockets or processes.
    func reference() throws -> [Float] {
        let server = try FedAvgServer(setup: Self.setup)
        let local = try FedAvgClient(setup: Self.setup)
        for round in 1...Self.rounds {
            let results = try server.tasks(round: round, clients: sampler.sample(round: round)).map { task in
                var result = try local.run(task, on: clients[task.client])
                result.tensors = try result.tensors.map {
                    NamedTensor(name: $0.name, tensor: try $0.denseTensor().copy())
                }
                return result
            }
            try server.aggregate(round: round, results: results)
        }
        return ParameterArchive(server.global).values
    }
}

@Suite("Hostile peers over real sockets", .serialized)
struct HostilePeerTests {
    /// Hundreds of results for task ids 1 to 300 from a peer that never said hello: each is
    /// rejected as coming from an unknown host, a few are answered, the log holds a line or two,
    /// and the model is the clean run's.
    @Test func resultsFromAPeerThatNeverSaidHelloChangeNothing() throws {
        let run = try HostileRun()
        let answers = Mutex<[ErrorCode]>([])
        let sent = StopFlag()
        let outcome = try run.run(armed: sent) { endpoint, stop in
            let peer = try HostilePeer(endpoint: endpoint, routingID: "stranger")
            for taskID in 1...300 {
                let body = TaskResult(taskID: UInt64(taskID), clientID: 0, metrics: ["samples": 1])
                try peer.send(Message(runID: 1, round: 1, body: .result(body)))
            }
            sent.set()
            let codes = try peer.serve(until: stop) { _, _ in nil }
            answers.withLock { $0 = codes }
        }
        let reference = try run.reference()
        #expect(outcome.values == reference)
        let codes = answers.withLock { $0 }
        #expect(!codes.isEmpty && codes.count <= 10 && codes.allSatisfy { $0 == .unknownHost }, "\(codes)")
        #expect(outcome.log.count <= 4, "\(outcome.log)")
        // A peer's first rejection of an interval is a warning, the periodic summaries notices.
        let rejections = outcome.records.filter { "\($0.message)".contains("unknown_host") }
        #expect(rejections.first?.level == .warning, "\(outcome.records)")
        #expect(rejections.allSatisfy { $0.level == .warning || $0.level == .notice }, "\(outcome.records)")
        #expect(outcome.coordinator.machine.hosts.count == 1)
        let recorded = outcome.commits.flatMap(\.peerRejections).filter { $0.peer == "stranger" }
        #expect(Set(recorded.map(\.code)) == ["unknown_host"], "\(recorded)")
        #expect(recorded.reduce(0) { $0 + $1.count } == 300)
    }

    /// A host that answers its tasks with a poisoned result: every answer is rejected with
    /// `invalid_result`, its task goes to the honest host, and the model is the clean run's.
    @Test(arguments: Poison.allCases)
    func poisonedResultsAreRejectedAndRedone(_ poison: Poison) throws {
        let run = try HostileRun()
        let answers = Mutex<(tasks: Int, codes: [ErrorCode])>((0, []))
        let outcome = try run.run { endpoint, stop in
            let peer = try HostilePeer(endpoint: endpoint, routingID: "poisoner")
            try peer.hello(clients: [0, 1, 2, 3])
            let codes = try peer.serve(until: stop) { message, task in
                answers.withLock { $0.tasks += 1 }
                return try poison.result(for: message, task: task)
            }
            answers.withLock { $0.codes = codes }
        }
        let reference = try run.reference()
        #expect(outcome.values == reference)
        #expect(outcome.values.allSatisfy { $0.isFinite })
        let (tasks, codes) = answers.withLock { $0 }
        #expect(tasks > 0, "the poisoner was given no task")
        #expect(codes.count == tasks && codes.allSatisfy { $0 == .invalidResult }, "\(codes)")
        let statuses = outcome.commits.flatMap(\.clientRounds).map(\.status)
        #expect(statuses.allSatisfy { $0 == .ok })
        let recorded = outcome.commits.flatMap(\.peerRejections).filter { $0.peer == "poisoner" }
        #expect(Set(recorded.map(\.code)) == ["invalid_result"], "\(recorded)")
        #expect(recorded.reduce(0) { $0 + $1.count } == tasks)
        let rejected = outcome.records.filter { "\($0.message)".contains("rejected: ") }
        #expect(!rejected.isEmpty && rejected.allSatisfy { $0.level == .warning }, "\(outcome.records)")
    }

    /// A peer that answers tasks it was never sent, naming the right task ids: rejected, and the
    /// tasks stay with the host they went to.
    @Test func answersToAnotherHostsTasksAreRejected() throws {
        let run = try HostileRun()
        let answers = Mutex<[ErrorCode]>([])
        let outcome = try run.run { endpoint, stop in
            let peer = try HostilePeer(endpoint: endpoint, routingID: "impostor")
            // Registered for a client of its own, so that its results are read at all.
            try peer.hello(clients: [3])
            _ = try peer.receive(timeout: .seconds(2))
            for taskID in 1...12 {
                let weight = try TensorFrame(name: "fc.weight", payload: .dense(Tensor(zeros: [10, 784])))
                let body = TaskResult(taskID: UInt64(taskID), clientID: 0, metrics: ["samples": 40])
                try peer.send(Message(runID: 1, round: 1, body: .result(body), tensors: [weight]))
            }
            let codes = try peer.serve(until: stop) { message, task in
                try Poison.nanWeights.result(for: message, task: task)
            }
            answers.withLock { $0 = codes }
        }
        let reference = try run.reference()
        #expect(outcome.values == reference)
        #expect(answers.withLock { $0 }.contains(.unexpectedMessage))
    }

    /// A hello under another host's id, or naming clients the run does not have, is refused with
    /// a code and does not count as a host.
    @Test func helloesThatLieAreRefused() throws {
        let run = try HostileRun()
        let answers = Mutex<[ErrorCode]>([])
        let outcome = try run.run { endpoint, stop in
            let liar = try HostilePeer(endpoint: endpoint, routingID: "liar")
            try liar.hello(clients: [0], hostID: "honest")
            let greedy = try HostilePeer(endpoint: endpoint, routingID: "greedy")
            try greedy.hello(clients: [2, 99])
            var codes: [ErrorCode] = []
            for peer in [liar, greedy] {
                if case .error(let report) = try peer.receive(timeout: .seconds(5))?.body { codes.append(report.code) }
            }
            answers.withLock { $0 = codes }
            while !stop.isSet { Thread.sleep(forTimeInterval: 0.02) }
        }
        #expect(answers.withLock { $0 } == [.unexpectedMessage, .unknownClient])
        #expect(outcome.coordinator.machine.hosts.count == 1)
        let reference = try run.reference()
        #expect(outcome.values == reference)
    }

    /// A host that says hello, takes its tasks and falls silent (frozen, or dead) is lost after
    /// `liveness` heartbeats, and its tasks go to the honest host: no round waits for the task
    /// timeout, and the model is the clean run's.
    @Test func aHostThatFallsSilentIsLostAndItsTasksAreRedone() throws {
        let run = try HostileRun()
        let outcome = try run.run(taskTimeout: 600) { endpoint, stop in
            let peer = try HostilePeer(endpoint: endpoint, routingID: "frozen")
            try peer.hello(clients: [0, 1, 2, 3])
            while !stop.isSet { Thread.sleep(forTimeInterval: 0.02) }
        }
        let reference = try run.reference()
        #expect(outcome.values == reference)
        #expect(outcome.commits.flatMap(\.clientRounds).allSatisfy { $0.status == .ok })
        let lost = outcome.records.filter { "\($0.message)".contains("host 'frozen' lost") }
        #expect(lost.map(\.level) == [.warning], "\(outcome.records)")
        let events = outcome.commits.flatMap(\.hostEvents).filter { $0.hostID == "frozen" }.map(\.event)
        #expect(events == [.joined, .lost])
        #expect(outcome.coordinator.machine.hosts.keys.map { String(decoding: $0, as: UTF8.self) } == ["honest"])
    }

    /// Floods: thousands of error reports and hellos from hundreds of ids cost a bounded number of
    /// hosts, ledger entries and log lines.
    @Test func floodsStayBounded() throws {
        let run = try HostileRun()
        let outcome = try run.run { endpoint, stop in
            let shouter = try HostilePeer(endpoint: endpoint, routingID: "shouter")
            try shouter.hello(clients: [1])
            for index in 0..<2000 {
                let report = ErrorReport(
                    code: .internalError, message: String(repeating: "x", count: 1000) + "\(index)")
                try shouter.send(Message(body: .error(report)))
            }
            var crowd: [HostilePeer] = []
            for index in 0..<60 {
                let peer = try HostilePeer(endpoint: endpoint, routingID: "crowd-\(index)")
                try peer.hello(clients: [2])
                crowd.append(peer)
            }
            while !stop.isSet { Thread.sleep(forTimeInterval: 0.02) }
            withExtendedLifetime(crowd) {}
        }
        let machine = outcome.coordinator.machine
        #expect(machine.hosts.count <= machine.configuration.maxHosts)
        #expect(machine.ledger.entries.count <= machine.ledger.maxPeers)
        #expect(outcome.log.count < 60, "\(outcome.log.count) log lines")
        #expect(outcome.log.allSatisfy { $0.count < 400 })
        #expect(outcome.values.allSatisfy { $0.isFinite })
    }

    /// With the run's precision at binary16, every task goes as binary16, whatever the method, and
    /// the run completes (a host sends back binary32, which the coordinator accepts).
    @Test func tasksTravelAtTheRunsPrecision() throws {
        let run = try HostileRun()
        let outcome = try run.run(precision: .float16) { _, stop in
            while !stop.isSet { Thread.sleep(forTimeInterval: 0.02) }
        }
        let tasks = outcome.commits.flatMap(\.messages).filter { $0.kind == "task" }
        #expect(!tasks.isEmpty && tasks.allSatisfy { $0.encoding == "DENSE_F16" }, "\(tasks.map(\.encoding))")
        #expect(outcome.commits.flatMap(\.clientRounds).allSatisfy { $0.status == .ok })
    }

    /// A message past the run's limits (a 4 MB frame for a model whose largest tensor is 31 KB)
    /// is refused before it is decoded; the run goes on.
    @Test func anOversizedMessageIsRefused() throws {
        let run = try HostileRun()
        let limits = RunLimits.decoding(for: try HostileRun.setup.makeNetwork())
        #expect(limits.maxTensorBytes < 64 << 10)
        let outcome = try run.run { endpoint, stop in
            let peer = try HostilePeer(endpoint: endpoint, routingID: "heavy")
            try peer.hello(clients: [0])
            let big = try TensorFrame(name: "fc.weight", payload: .dense(Tensor(zeros: [1 << 20])))
            let body = TaskResult(taskID: 1, clientID: 0, metrics: ["samples": 1])
            try peer.send(Message(runID: 1, round: 1, body: .result(body), tensors: [big]))
            while !stop.isSet { Thread.sleep(forTimeInterval: 0.02) }
        }
        let reference = try run.reference()
        #expect(outcome.values == reference)
    }
}
