import Foundation
import OrchardFederation
import OrchardNN
import OrchardStore
import OrchardTensor
import OrchardWire

extension Coordinator {
    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        case completed
        case stopped(afterRound: Int?)
    }

    /// Runs rounds `first...settings.rounds` (numbered from 1) from simulated time `simTime`; stops
    /// between messages when a stop is requested, keeping every round committed so far.
    ///
    /// A round's evaluation and commit overlap the next round's training: the next round's tasks
    /// carry the very model that is evaluated, so they are sent first and the hosts train while the
    /// coordinator evaluates and writes.
    public func run(from first: Int = 1, simTime start: Double = 0, progress: (Progress) -> Void = { _ in }) throws
        -> Outcome
    {
        var simTime = start
        var lastCommitted: Int? = first > 1 ? first - 1 : nil
        var finished: Finished?
        func conclude(_ done: Finished) throws {
            let commit = try self.commit(done)
            lastCommitted = commit.round.round
            progress(
                Progress(
                    round: commit.round.round, rounds: settings.rounds, commit: commit,
                    simTime: commit.round.simStart + commit.round.simSeconds, bytesUpTotal: bytesUpTotal,
                    bytesDownTotal: bytesDownTotal))
        }
        guard first <= settings.rounds else { return .completed }
        for round in first...settings.rounds {
            let started = try startRound(round, simStart: simTime)
            if let previous = finished { try conclude(previous) }
            guard let done = try finishRound(started) else { return .stopped(afterRound: lastCommitted) }
            simTime += done.commit.round.simSeconds
            finished = done
        }
        if let last = finished { try conclude(last) }
        return .completed
    }

    /// A round whose tasks are out.
    struct Started {
        var round: Int
        var simStart: Double
        var wallStart: ContinuousClock.Instant
        var overhead: Duration
        var sampled: [Int]
        var traffic: RoundTraffic
    }

    /// What the coordinator gathers about each client during a round.
    struct RoundTraffic {
        var clients: [Int: ClientRoundRecord] = [:]
        var bytesDown: [Int: Int] = [:]
        var messages: [MessageRecord] = []
    }

    /// A round whose results are aggregated, waiting for its evaluation and commit.
    struct Finished {
        var commit: RoundCommit
        var overhead: Duration
    }

    /// Samples the round's clients and sends their tasks.
    func startRound(_ round: Int, simStart: Double) throws -> Started {
        var started = Started(
            round: round, simStart: simStart, wallStart: .now, overhead: .zero, sampled: sampler.sample(round: round),
            traffic: RoundTraffic())
        started.overhead = try ContinuousClock().measure {
            let tasks = try method.tasks(round: round, clients: started.sampled)
            try send(tasks, round: round, traffic: &started.traffic)
        }
        return started
    }

    /// Waits for the results and aggregates them; nil when a stop was requested first.
    func finishRound(_ started: Started) throws -> Finished? {
        var started = started
        // The machine settles every task by its deadline or its host's loss; the bound is a net.
        let bound = ContinuousClock.now + .seconds(settings.taskTimeout * Double(started.sampled.count + 1) + 60)
        try pump(until: bound) { machine.roundSettled }
        if StopSignal.isRequested { return nil }
        var overhead = started.overhead
        var results: [ClientResult] = []
        overhead += ContinuousClock().measure { results = collect(into: &started.traffic, round: started.round) }
        let quorumMet = Double(results.count) >= settings.quorum * Double(started.sampled.count) && !results.isEmpty
        if quorumMet {
            overhead += try ContinuousClock().measure { try method.aggregate(round: started.round, results: results) }
        }
        let clients = started.sampled.compactMap { started.traffic.clients[$0] }
        let answered = clients.filter { $0.status == .ok }.count
        // The phase is what the method asked of the clients: train, or bn_stats, score, adjust, ...
        let kinds = Set(clients.map(\.task)).sorted().joined(separator: "+")
        let phase = (kinds.isEmpty ? "train" : kinds) + (quorumMet ? "" : " (quorum not met)")
        let round = RoundRecord(
            round: started.round, phase: phase, simStart: started.simStart,
            simSeconds: roundSeconds(clients), wallSeconds: (ContinuousClock.now - started.wallStart).inSeconds,
            coordinatorSeconds: 0, sampled: started.sampled.count, answered: answered,
            dropped: clients.count - answered, trainLoss: meanLoss(results))
        // The control traffic since the last round (hellos, welcomes, heartbeats) is this round's too.
        // Hosts that came and went, and what peers sent that was rejected, since the last round.
        let rejections =
            machine.ledger.takeCounts().map {
                PeerRejectionRecord(peer: $0.peer, code: $0.code, count: $0.count, example: $0.example)
            } + takeAuthenticationFailures()
        let commit = RoundCommit(
            round: round, clientRounds: clients, messages: started.traffic.messages + controlMessages,
            hostEvents: machine.takeHostEvents(), peerRejections: rejections)
        controlMessages.removeAll()
        return Finished(commit: commit, overhead: overhead)
    }

    /// Evaluates the model the round produced (when due), checkpoints it (when due) and commits.
    func commit(_ done: Finished) throws -> RoundCommit {
        var commit = done.commit
        let round = commit.round.round
        let weights = method.global.prunableLayers().map { ($0.name, $0.layer.weight) }
        if weights.contains(where: { $0.1.pattern != nil }) {
            commit.layers = weights.map { LayerRecord(layer: $0.0, density: $0.1.density, parameters: $0.1.denseCount) }
            let kept = weights.reduce(0) { $0 + ($1.1.pattern?.count ?? $1.1.denseCount) }
            commit.round.globalDensity = Double(kept) / Double(max(1, weights.reduce(0) { $0 + $1.1.denseCount }))
        }
        if round % settings.evaluateEvery == 0 || round == settings.rounds {
            let summary = evaluator.evaluate(on: test)
            commit.round.testAccuracy = summary.accuracy
            commit.round.testLoss = summary.loss
        }
        if (settings.checkpointEvery > 0 && round % settings.checkpointEvery == 0) || round == settings.rounds {
            commit.checkpoint = checkpointState()
        }
        // The write's own time is measured around the commit, so it is counted in the next figure
        // the coordinator reports rather than in the row it writes.
        commit.round.coordinatorSeconds = (done.overhead + lastWriteSeconds).inSeconds
        let writing = try ContinuousClock().measure { try recorder?.commit(commit) }
        lastWriteSeconds = writing
        bytesUpTotal += commit.messages.filter { $0.direction == .up }.reduce(0) { $0 + $1.bytes }
        bytesDownTotal += commit.messages.filter { $0.direction == .down }.reduce(0) { $0 + $1.bytes }
        return commit
    }

    /// Encodes and sends the tasks; frames of tensors that several tasks share are encoded once.
    private func send(_ tasks: [ClientTask], round: Int, traffic: inout RoundTraffic) throws {
        counted.removeAll()
        sentMasks.removeAll()
        var frames = TaskFrames()
        let planned = tasks.map { task in
            var stamped = task
            stamped.precision = settings.valuePrecision
            return CoordinatorStateMachine.PlannedTask(
                task: stamped, contract: method.contract(for: task), work: workOfClient[task.client] ?? 1)
        }
        for assignment in machine.assign(planned, now: .now) {
            let task = assignment.task
            // The bytes counted are the device's: values alone for each mask it holds.
            let size = try encode(task, taskID: assignment.taskID, frames: &frames) { name, digest in
                self.deviceMasks.since(client: task.client, name: name, digest: digest)
            }.size
            traffic.bytesDown[task.client] = size.totalBytes
            traffic.messages.append(Self.messageRecord(size, client: task.client, direction: .down, kind: "task"))
            traffic.clients[task.client] = ClientRoundRecord(
                clientID: task.client, task: task.kind.rawValue, status: .ok,
                memoryBudgetBytes: profiles[task.client]?.memoryBudget)
            guard let host = assignment.host else { continue }
            counted[assignment.taskID] = size
            do {
                let refers = try sendPhysically(task, taskID: assignment.taskID, to: host, frames: &frames)
                machine.sent(assignment.taskID, refersToMasks: refers)
            } catch {
                machine.unsent(assignment.taskID, reason: "\(error)")
                continue
            }
            sentMasks[task.client] = frames.sparseEntries(of: task)
        }
    }

    /// Turns the round's outcomes into records; returns the usable results in client-id order.
    private func collect(into traffic: inout RoundTraffic, round: Int) -> [ClientResult] {
        let arrivals = machine.closeRound()
        updateDeviceMasks(round: round, arrivals: arrivals)
        var results: [ClientResult] = []
        for client in arrivals.keys.sorted() {
            guard var record = traffic.clients[client], let arrival = arrivals[client] else { continue }
            switch arrival {
            case .dropped(let reason):
                record.status = .dropped
                record.reason = reason
            case .timeout(let reason):
                record.status = .timeout
                record.reason = reason
            case .rejected(let rejection, let size):
                traffic.messages.append(Self.messageRecord(size, client: client, direction: .up, kind: "result"))
                record.status = .rejected
                record.reason = rejection.reason
            case .result(let result, let size):
                traffic.messages.append(Self.messageRecord(size, client: client, direction: .up, kind: "result"))
                fill(&record, from: result, bytesDown: traffic.bytesDown[client] ?? 0, bytesUp: size.totalBytes)
                if result.outcome == .ok && record.status == .ok { results.append(result) }
            }
            traffic.clients[client] = record
        }
        return results
    }

    /// A client's record from its validated result: figures, simulated time, and its status.
    private func fill(_ record: inout ClientRoundRecord, from result: ClientResult, bytesDown: Int, bytesUp: Int) {
        // Validation made every count a finite whole number within 2^53, so these conversions hold.
        func count(_ name: String) -> Int? { result.metrics[name].flatMap { Int(exactly: $0) } }
        record.samples = count("samples") ?? 0
        record.loss = result.metrics["loss"]
        record.accuracy = result.metrics["accuracy"]
        record.flops = count("flops")
        record.measuredPeakBytes = count("peak_memory_bytes")
        record.predictedPeakBytes = count("predicted_peak_bytes")
        record.wallSeconds = result.metrics["wall_seconds"]
        record.metrics = result.metrics.filter { !Self.metricsWithColumns.contains($0.key) }
        if let profile = profiles[result.client] {
            record.simSeconds = VirtualClock.taskSeconds(
                profile: profile, bytesDown: bytesDown, bytesUp: bytesUp, flops: result.metrics["flops"] ?? 0)
        }
        switch result.outcome {
        case .ok:
            if let deadline = settings.deadline, let seconds = record.simSeconds, seconds > deadline {
                record.status = .dropped
                record.reason = Self.deadlineReason(seconds, deadline)
            }
        case .refused:
            record.status = .refused
            record.reason = result.reason
        case .error:
            record.status = .error
            record.reason = result.reason
        }
    }

    /// The figures that `collect(into:round:)` stores in columns of `client_rounds`; every other
    /// figure of a result goes to `client_metrics` as the client named it.
    static let metricsWithColumns: Set<String> = [
        "samples", "loss", "accuracy", "flops", "peak_memory_bytes", "predicted_peak_bytes", "wall_seconds",
    ]

    static func deadlineReason(_ seconds: Double, _ deadline: Double) -> String {
        "simulated \(seconds) s passed the round deadline of \(deadline) s"
    }

    static func messageRecord(_ size: WireSize, client: Int?, direction: MessageDirection, kind: String)
        -> MessageRecord
    {
        let encodings = size.tensorBytesByEncoding.keys.map(\.description).sorted()
        return MessageRecord(
            clientID: client, direction: direction, kind: kind,
            encoding: encodings.isEmpty ? "none" : encodings.joined(separator: "+"), bytes: size.totalBytes,
            envelopeBytes: size.envelopeBytes, analyticBytes: Int(size.analyticMinimumBytes.rounded(.up)))
    }

    private func roundSeconds(_ clients: [ClientRoundRecord]) -> Double {
        let included = clients.filter { $0.status == .ok }.compactMap(\.simSeconds)
        let straggled = clients.contains { $0.status == .dropped && ($0.reason ?? "").contains("deadline") }
        return VirtualClock.roundSeconds(included: included, droppedAtDeadline: straggled, deadline: settings.deadline)
    }

    private func meanLoss(_ results: [ClientResult]) -> Double? {
        let pairs = results.compactMap { result -> (Double, Double)? in
            guard let loss = result.metrics["loss"], let samples = result.metrics["samples"] else { return nil }
            return (loss, samples)
        }
        let samples = pairs.reduce(0) { $0 + $1.1 }
        return samples > 0 ? pairs.reduce(0) { $0 + $1.0 * $1.1 } / samples : nil
    }

    /// The global model's state, to be stored with the round.
    func checkpointState() -> CheckpointState {
        let archive = ParameterArchive(method.global)
        let entries = archive.entries.map {
            CheckpointEntry(name: $0.name, shape: $0.shape, kind: $0.kind.rawValue, offset: $0.offset)
        }
        let extra = CheckpointExtra.combine(method: method.checkpointExtra(), devices: deviceMasks)
        return CheckpointState(entries: entries, values: archive.values, extra: extra)
    }
}

extension Coordinator {
    /// The handshakes CurveZMQ refused since the last round, by reason: such peers never reach
    /// the socket, so they have no routing id and are counted together.
    func takeAuthenticationFailures() -> [PeerRejectionRecord] {
        guard let counts = socket.zapHandler?.counts else { return [] }
        let previous = authenticationCounts
        authenticationCounts = counts
        let reasons: [(String, Int)] = [
            ("unauthenticated_unknown_key", counts.unknownKey - previous.unknownKey),
            ("unauthenticated_id_mismatch", counts.idMismatch - previous.idMismatch),
            ("unauthenticated_mechanism", counts.wrongMechanism - previous.wrongMechanism),
            ("unauthenticated_handshake", counts.failedHandshake - previous.failedHandshake),
        ]
        return reasons.filter { $0.1 > 0 }.map {
            PeerRejectionRecord(peer: "unauthenticated peers", code: $0.0, count: $0.1)
        }
    }
}
