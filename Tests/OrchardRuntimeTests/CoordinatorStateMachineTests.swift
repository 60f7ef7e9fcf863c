import OrchardFederation
import OrchardTensor
import OrchardWire
import Testing

@testable import OrchardRuntime

/// The coordinator's rules, event by event, without sockets or clocks.
@Suite("Coordinator state machine")
struct CoordinatorStateMachineTests {
    typealias Machine = CoordinatorStateMachine
    let start = ContinuousClock.now
    let alpha = Array("alpha".utf8)
    let beta = Array("beta".utf8)

    func machine(maxHosts: Int = 4) -> Machine {
        Machine(
            configuration: .init(
                runID: 9, topologyName: "t", seed: 1, heartbeatInterval: .seconds(1), liveness: 3,
                taskTimeout: .seconds(10), maxHosts: maxHosts, shardSizes: [0: 20, 1: 30]),
            now: start)
    }

    func decoded(_ message: Message) throws -> DecodedMessage {
        let codec = MessageCodec()
        return try codec.decode(try codec.encode(message).frames)
    }

    func hello(_ id: String, clients: [UInt32], instance: UInt64 = 1) throws -> DecodedMessage {
        let capabilities = clients.map { ClientCapabilities(clientID: $0) }
        return try decoded(Message(body: .hello(Hello(hostID: id, clients: capabilities, instance: instance))))
    }

    /// A train task of client `client` carrying a 2x2 dense weight.
    func planned(_ client: Int) -> Machine.PlannedTask {
        let task = ClientTask(
            client: client, round: 1, kind: .train,
            tensors: [NamedTensor(name: "w", tensor: Tensor(shape: [2, 2], values: [1, 2, 3, 4]))])
        return Machine.PlannedTask(task: task, contract: .returningState(of: task), work: 1)
    }

    func result(_ taskID: UInt64, client: UInt32, values: [Float] = [1, 2, 3, 4], samples: Double = 5) throws
        -> DecodedMessage
    {
        let frame = try TensorFrame(name: "w", payload: .dense(Tensor(shape: [2, 2], values: values)))
        let body = TaskResult(taskID: taskID, clientID: client, metrics: ["samples": samples])
        return try decoded(Message(runID: 9, round: 1, body: .result(body), tensors: [frame]))
    }

    func errorCodes(_ actions: [Machine.Action]) -> [ErrorCode] {
        actions.compactMap {
            guard case .send(let message, _) = $0, case .error(let report) = message.body else { return nil }
            return report.code
        }
    }

    @Test func aHelloRegistersItsClientsAndIsWelcomed() throws {
        var machine = machine()
        let actions = machine.handle(.message(try hello("alpha", clients: [0, 1]), from: alpha), now: start)
        #expect(machine.hostsOfClient[0] == [alpha] && machine.hostsOfClient[1] == [alpha])
        #expect(actions.contains { if case .send(let m, _) = $0, case .welcome = m.body { true } else { false } })
        #expect(machine.takeHostEvents().map(\.event) == [.joined])
    }

    @Test func helloesThatLieOrOverflowAreRefusedAndLeaveNothing() throws {
        var machine = machine(maxHosts: 1)
        #expect(
            errorCodes(machine.handle(.message(try hello("beta", clients: [0]), from: alpha), now: start)) == [
                .unexpectedMessage
            ])
        #expect(
            errorCodes(machine.handle(.message(try hello("alpha", clients: [0, 7]), from: alpha), now: start)) == [
                .unknownClient
            ])
        #expect(machine.hosts.isEmpty && machine.hostsOfClient.isEmpty)
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        #expect(
            errorCodes(machine.handle(.message(try hello("beta", clients: [1]), from: beta), now: start)) == [
                .limitExceeded
            ])
        #expect(machine.hosts.count == 1)
    }

    /// A second process under a live host's id is refused; once the first has been silent for a
    /// heartbeat interval and a second, a new process under that id is a restart and is welcomed.
    @Test func aSecondProcessUnderALiveHostsIDIsRefused() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0], instance: 1), from: alpha), now: start)
        let second = machine.handle(
            .message(try hello("alpha", clients: [0], instance: 2), from: alpha), now: start + .milliseconds(500))
        #expect(errorCodes(second) == [.hostIDInUse])
        #expect(machine.hosts[alpha]?.instance == 1)
        let again = machine.handle(
            .message(try hello("alpha", clients: [0], instance: 1), from: alpha), now: start + .seconds(1))
        #expect(errorCodes(again).isEmpty)
        let restart = machine.handle(
            .message(try hello("alpha", clients: [0], instance: 3), from: alpha), now: start + .milliseconds(3100))
        #expect(errorCodes(restart).isEmpty && machine.hosts[alpha]?.instance == 3)
    }

    @Test func messagesFromStrangersAreAnsweredUnknownHost() throws {
        var machine = machine()
        let actions = machine.handle(.message(try result(1, client: 0), from: beta), now: start)
        #expect(errorCodes(actions) == [.unknownHost])
        #expect(machine.arrivals.isEmpty)
    }

    @Test func aValidResultArrivesAndAWrongSenderIsRejectedWithoutClosingTheTask() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        _ = machine.handle(.message(try hello("beta", clients: [1]), from: beta), now: start)
        let assignments = machine.assign([planned(0), planned(1)], now: start)
        let taskOfZero = try #require(assignments.first { $0.task.client == 0 }?.taskID)
        let stolen = machine.handle(.message(try result(taskOfZero, client: 0), from: beta), now: start)
        #expect(errorCodes(stolen) == [.unexpectedMessage])
        #expect(machine.pending[taskOfZero] != nil)
        _ = machine.handle(.message(try result(taskOfZero, client: 0), from: alpha), now: start)
        guard case .result(let accepted, _) = machine.arrivals[0] else {
            Issue.record("no result for client 0")
            return
        }
        #expect(accepted.metrics["samples"] == 5)
    }

    @Test func aRejectedResultGoesToAnotherHostServingTheClient() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        _ = machine.handle(.message(try hello("beta", clients: [0]), from: beta), now: start)
        let taskID = try #require(machine.assign([planned(0)], now: start).first?.taskID)
        let first = try #require(machine.pending[taskID]?.host)
        let other = first == alpha ? beta : alpha
        let actions = machine.handle(
            .message(try result(taskID, client: 0, values: [.nan, 0, 0, 0]), from: first), now: start)
        #expect(errorCodes(actions) == [.invalidResult])
        #expect(actions.contains(.resend(taskID: taskID, to: other)))
        // The second host fails it the same way: no host is left, and the rejection stands.
        _ = machine.handle(.message(try result(taskID, client: 0, samples: 21), from: other), now: start)
        guard case .rejected(let rejection, _) = machine.arrivals[0] else {
            Issue.record("client 0 is not rejected: \(String(describing: machine.arrivals[0]))")
            return
        }
        #expect(rejection.reason.contains("21.0 samples") && rejection.reason.contains("has 20"))
        #expect(machine.roundSettled)
    }

    @Test func aSilentHostIsLostAndItsTaskMovesOrIsDropped() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0, 1]), from: alpha), now: start)
        _ = machine.handle(.message(try hello("beta", clients: [1]), from: beta), now: start)
        let assignments = machine.assign([planned(0), planned(1)], now: start)
        // Beta keeps beating; alpha says nothing for three intervals and a bit.
        _ = machine.handle(
            .message(try decoded(Message(body: .heartbeat(Heartbeat(hostID: "beta", sequence: 1)))), from: beta),
            now: start + .seconds(3))
        #expect(
            machine.handle(.tick, now: start + .milliseconds(2900)).allSatisfy {
                if case .forgetMasks = $0 { false } else { true }
            })
        let actions = machine.handle(.tick, now: start + .milliseconds(3100))
        #expect(machine.hosts[alpha] == nil && machine.hostsOfClient[0] == nil)
        #expect(actions.contains(.forgetMasks(of: alpha)))
        let taskOfOne = try #require(assignments.first { $0.task.client == 1 }?.taskID)
        if assignments.first(where: { $0.task.client == 1 })?.host == alpha {
            #expect(actions.contains(.resend(taskID: taskOfOne, to: beta)))
        }
        guard case .dropped(let reason) = machine.arrivals[0] else {
            Issue.record("client 0 was not dropped")
            return
        }
        #expect(reason.contains("'alpha' was lost"))
        #expect(machine.takeHostEvents().last?.event == .lost)
    }

    @Test func aTaskPastItsDeadlineTimesOutAndItsHostGetsNoMoreWork() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0, 1]), from: alpha), now: start)
        _ = machine.assign([planned(0)], now: start)
        // Alive (it beats) but never answers.
        for second in 1...10 {
            let beat = try decoded(Message(body: .heartbeat(Heartbeat(hostID: "alpha", sequence: UInt64(second)))))
            _ = machine.handle(.message(beat, from: alpha), now: start + .seconds(second))
        }
        _ = machine.handle(.tick, now: start + .seconds(10))
        guard case .timeout = machine.arrivals[0] else {
            Issue.record("client 0 did not time out")
            return
        }
        #expect(machine.assign([planned(1)], now: start + .seconds(11)).first?.host == nil)
    }

    @Test func aLateResultIsCountedNotAnswered() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        let taskID = try #require(machine.assign([planned(0)], now: start).first?.taskID)
        _ = machine.handle(.message(try result(taskID, client: 0), from: alpha), now: start)
        _ = machine.closeRound()
        #expect(errorCodes(machine.handle(.message(try result(taskID, client: 0), from: alpha), now: start)).isEmpty)
        #expect(machine.ledger.takeCounts().map(\.code) == ["late_result"])
    }

    @Test func aRehelloResendsThePendingTasksOfThatHost() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        let taskID = try #require(machine.assign([planned(0)], now: start).first?.taskID)
        let actions = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        #expect(actions.contains(.resend(taskID: taskID, to: alpha)) && actions.contains(.forgetMasks(of: alpha)))
        #expect(machine.takeHostEvents().map(\.event) == [.joined, .rejoined])
    }

    @Test func heartbeatsGoToEveryHostEachInterval() throws {
        var machine = machine()
        _ = machine.handle(.message(try hello("alpha", clients: [0]), from: alpha), now: start)
        _ = machine.handle(.message(try hello("beta", clients: [1]), from: beta), now: start)
        let beats = machine.handle(.tick, now: start + .seconds(1)).filter {
            if case .send(let message, _) = $0, case .heartbeat = message.body { true } else { false }
        }
        #expect(beats.count == 2)
        #expect(machine.handle(.tick, now: start + .milliseconds(1500)).isEmpty)
    }
}

@Suite("Peer ledger")
struct PeerLedgerTests {
    let start = ContinuousClock.now

    @Test func aFloodCostsBoundedPeersLinesAndAnswers() {
        var ledger = PeerLedger(summaryInterval: .seconds(10))
        ledger.maxPeers = 8
        var lines = 0
        var answers = 0
        for index in 0..<5000 {
            let peer = Array("peer-\(index % 100)".utf8)
            ledger.note(peer, code: "malformed", example: "bad \(index)", now: start)
            if ledger.firstLine(peer, now: start) != nil { lines += 1 }
            if ledger.mayAnswer(peer) { answers += 1 }
        }
        #expect(ledger.entries.count == 9)  // 8 peers and the rest together
        #expect(lines <= ledger.firstLinesPerInterval)
        #expect(answers <= 8 * ledger.answersPerInterval)
        let summary = ledger.summaries(now: start + .seconds(10))
        #expect(summary.count == 1 || summary.count <= ledger.summaryLinesPerInterval)
        let counts = ledger.takeCounts()
        #expect(counts.reduce(0) { $0 + $1.count } == 5000)
        #expect(counts.allSatisfy { $0.example.count <= 200 })
    }
}

@Suite("Run limits")
struct RunLimitsTests {
    /// LeNet-5's largest legitimate message is a few hundred kilobytes; ResNet-18's about 90 MB.
    @Test func limitsFollowTheModel() throws {
        let setup = MethodSetup(
            seed: 1, model: "lenet5", sampleShape: [1, 28, 28], classes: 10, training: LocalTraining())
        let small = try RunLimits.decoding(for: setup)
        #expect(small.maxTotalBytes < 4 << 20 && small.maxElements == 48_000)
        var large = setup
        large.model = "resnet18"
        large.sampleShape = [3, 32, 32]
        let big = try RunLimits.decoding(for: large)
        let parameters = try large.makeNetwork().parameters.reduce(0) { $0 + $1.parameter.denseCount }
        // An adjustment result (state and a dense gradient of every tensor) fits.
        #expect(big.maxTotalBytes > 8 * parameters && big.maxTensorBytes >= 4 * 2_359_296)
    }
}
