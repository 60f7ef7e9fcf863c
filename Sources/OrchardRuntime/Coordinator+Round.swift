import Foundation
import OrchardFederation
import OrchardNN
import OrchardTensor
import OrchardWire

extension Coordinator {
    /// How a run ended.
    public enum Outcome: Sendable, Equatable {
        case completed
        case stopped(afterRound: Int?)
    }

    /// Runs rounds `first..<settings.rounds` from simulated time `simTime`; stops between messages
    /// when a stop is requested, keeping every round committed so far.
    ///
    /// A round's evaluation and commit overlap the next round's training: the next round's tasks
    /// carry the very model that is evaluated, so they are sent first and the hosts train while the
    /// coordinator evaluates and writes.
    public func run(from first: Int = 0, simTime start: Double = 0, progress: (Progress) -> Void = { _ in }) throws
        -> Outcome
    {
        var simTime = start
        var lastCommitted: Int? = first > 0 ? first - 1 : nil
        var finished: Finished?
        func conclude(_ done: Finished) throws {
            let record = try commit(done)
            lastCommitted = record.round
            progress(
                Progress(
                    round: record.round, rounds: settings.rounds, record: record,
                    simTime: record.simStart + record.simSeconds, bytesUpTotal: bytesUpTotal,
                    bytesDownTotal: bytesDownTotal))
        }
        for round in first..<settings.rounds {
            let started = try startRound(round, simStart: simTime)
            if let previous = finished { try conclude(previous) }
            guard let done = try finishRound(started) else { return .stopped(afterRound: lastCommitted) }
            simTime += done.record.simSeconds
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
        var records: [Int: ClientRoundRecord]
        var messages: [MessageRecord]
    }

    /// A round whose results are aggregated, waiting for its evaluation and commit.
    struct Finished {
        var record: RoundRecord
        var overhead: Duration
        var wallStart: ContinuousClock.Instant
    }

    /// Samples the round's clients and sends their tasks.
    func startRound(_ round: Int, simStart: Double) throws -> Started {
        var started = Started(
            round: round, simStart: simStart, wallStart: .now, overhead: .zero, sampled: sampler.sample(round: round),
            records: [:], messages: [])
        started.overhead = try ContinuousClock().measure {
            let tasks = try method.tasks(round: round, clients: started.sampled)
            try send(tasks, round: round, records: &started.records, messages: &started.messages)
        }
        return started
    }

    /// Waits for the results and aggregates them; nil when a stop was requested first.
    func finishRound(_ started: Started) throws -> Finished? {
        var started = started
        try pump(until: pending.values.map(\.deadline).max() ?? .now) { pending.isEmpty }
        if StopSignal.isRequested { return nil }
        var overhead = started.overhead
        var results: [ClientResult] = []
        overhead += ContinuousClock().measure { results = collect(into: &started.records, messages: &started.messages) }
        let included = results.filter { $0.outcome == .ok }
        let quorumMet = Double(included.count) >= settings.quorum * Double(started.sampled.count) && !included.isEmpty
        if quorumMet {
            overhead += try ContinuousClock().measure { try method.aggregate(round: started.round, results: included) }
        }
        var record = RoundRecord(
            round: started.round, phase: quorumMet ? "train" : "train (quorum not met)", simStart: started.simStart,
            simSeconds: roundSeconds(started.records), wallSeconds: 0, coordinatorSeconds: 0, evaluationSeconds: 0,
            sampled: started.sampled.count, clients: started.sampled.compactMap { started.records[$0] },
            messages: started.messages)
        record.trainLoss = meanLoss(included)
        record.wallSeconds = (ContinuousClock.now - started.wallStart).inSeconds
        return Finished(record: record, overhead: overhead, wallStart: started.wallStart)
    }

    /// Evaluates the model the round produced (when due), checkpoints it (when due) and commits.
    func commit(_ done: Finished) throws -> RoundRecord {
        var record = done.record
        let round = record.round
        if (round + 1) % settings.evaluateEvery == 0 || round == settings.rounds - 1 {
            record.evaluationSeconds = ContinuousClock().measure {
                let summary = evaluator.evaluate(on: test)
                record.testAccuracy = summary.accuracy
                record.testLoss = summary.loss
            }.inSeconds
        }
        let checkpoint = (round + 1) % settings.checkpointEvery == 0 || round == settings.rounds - 1
            ? makeCheckpoint(round: round, simTime: record.simStart + record.simSeconds) : nil
        let writing = try ContinuousClock().measure { try recorder?.commit(record, checkpoint: checkpoint) }
        record.coordinatorSeconds = (done.overhead + writing).inSeconds
        bytesUpTotal += record.bytesUp
        bytesDownTotal += record.bytesDown
        return record
    }

    /// Encodes and sends the tasks; frames of tensors that several tasks share are encoded once.
    private func send(
        _ tasks: [ClientTask], round: Int, records: inout [Int: ClientRoundRecord], messages: inout [MessageRecord]
    ) throws {
        pending.removeAll()
        arrived.removeAll()
        var frameCache: [ObjectIdentifier: TensorFrame] = [:]
        var queued: [[UInt8]: Int] = [:]
        var load: [[UInt8]: Int] = [:]
        let start = ContinuousClock.now
        // The largest tasks are placed first, each on the least loaded host that serves its client,
        // so hosts that serve the same clients finish a round at about the same time.
        let ordered = tasks.sorted { (workOfClient[$0.client] ?? 1, $1.client) > (workOfClient[$1.client] ?? 1, $0.client) }
        for task in ordered {
            let frames = task.tensors.map { named -> TensorFrame in
                let key = ObjectIdentifier(named.tensor.storage)
                if let frame = frameCache[key], frame.name == named.name { return frame }
                let frame = TensorFrame(name: named.name, tensor: named.tensor)
                frameCache[key] = frame
                return frame
            }
            let taskID = nextTaskID
            nextTaskID += 1
            let message = TaskMessages.message(
                task, taskID: taskID, runID: settings.runID, model: settings.model, timeoutSeconds: settings.taskTimeout,
                frames: frames)
            let encoded = try codec.encode(message)
            var record = emptyRecord(task)
            record.bytesDown = encoded.size.totalBytes
            messages.append(MessageRecord(client: task.client, direction: .down, kind: "task", encoding: "dense_f32", bytes: record.bytesDown))
            let candidates = (hostsOfClient[task.client] ?? []).filter { !silentHosts.contains($0) }
            guard let host = candidates.min(by: { load[$0, default: 0] < load[$1, default: 0] }) else {
                record.status = .dropped
                record.reason = hostsOfClient[task.client] == nil ? "no host serves this client" : "its hosts are silent"
                records[task.client] = record
                continue
            }
            load[host, default: 0] += workOfClient[task.client] ?? 1
            do {
                try socket.send(encoded, to: host)
            } catch {
                record.status = .dropped
                record.reason = "host unreachable: \(error)"
                records[task.client] = record
                continue
            }
            let position = queued[host, default: 0] + 1
            queued[host] = position
            let deadline = start + .milliseconds(Int64(settings.taskTimeout * 1000) * Int64(position))
            pending[taskID] = (task.client, task.kind, deadline, host)
            records[task.client] = record
        }
    }

    /// Turns what arrived (and what did not) into records; returns the results in client-id order.
    private func collect(into records: inout [Int: ClientRoundRecord], messages: inout [MessageRecord]) -> [ClientResult] {
        for task in pending.values {
            silentHosts.insert(task.host)
            records[task.client]?.status = .timeout
            records[task.client]?.reason = "no result within the wall-clock timeout"
        }
        pending.removeAll()
        var results: [ClientResult] = []
        for client in arrived.keys.sorted() {
            guard let (result, bytes) = arrived[client], var record = records[client] else { continue }
            record.bytesUp = bytes
            messages.append(MessageRecord(client: client, direction: .up, kind: "result", encoding: "dense_f32", bytes: bytes))
            record.samples = Int(result.metrics["samples"] ?? 0)
            record.loss = result.metrics["loss"]
            record.flops = result.metrics["flops"] ?? 0
            record.measuredPeakBytes = result.metrics["peak_memory_bytes"].map { Int($0) }
            record.wallSeconds = result.metrics["wall_seconds"] ?? 0
            if let profile = profiles[client] {
                record.simSeconds = VirtualClock.taskSeconds(
                    profile: profile, bytesDown: record.bytesDown, bytesUp: bytes, flops: record.flops)
            }
            switch result.outcome {
            case .ok:
                if let deadline = settings.deadline, record.simSeconds > deadline {
                    record.status = .dropped
                    record.reason = "simulated \(record.simSeconds) s passed the round deadline of \(deadline) s"
                } else {
                    results.append(result)
                }
            case .refused:
                record.status = .refused
                record.reason = result.reason
            case .error:
                record.status = .error
                record.reason = result.reason
            }
            records[client] = record
        }
        arrived.removeAll()
        return results
    }

    private func emptyRecord(_ task: ClientTask) -> ClientRoundRecord {
        ClientRoundRecord(
            client: task.client, task: task.kind, status: .ok, reason: "", samples: 0, loss: nil, flops: 0,
            memoryBudget: profiles[task.client]?.memoryBudget, measuredPeakBytes: nil, simSeconds: 0, wallSeconds: 0,
            bytesDown: 0, bytesUp: 0)
    }

    private func roundSeconds(_ records: [Int: ClientRoundRecord]) -> Double {
        let included = records.values.filter { $0.status == .ok }.map(\.simSeconds)
        let straggled = records.values.contains { $0.status == .dropped && $0.reason.contains("deadline") }
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
    func makeCheckpoint(round: Int, simTime: Double) -> CheckpointRecord {
        let archive = ParameterArchive(method.global)
        return CheckpointRecord(
            round: round, simTime: simTime, entries: archive.entries.map { ($0.name, $0.shape) }, values: archive.values)
    }
}
