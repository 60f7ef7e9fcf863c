import Foundation
import OrchardStore

/// A small run written through the store's API, whose figures are worked out by hand in
/// `SyntheticRun.expected...` and in the tests that use it.
///
/// Three clients (0 and 1 in group `fast` with a 1,000,000-byte budget, 2 in group `slow` with
/// none registered) take part in four rounds; checkpoints are written after rounds 2 and 4.
///
/// | round | sim start | sim s | wall s | coord. s | accuracy | test loss | density | client 0 | client 1 | client 2 |
/// |---|---|---|---|---|---|---|---|---|---|---|
/// | 1 | 0  | 10 | 2.0 | 0.25 | 0.50 | 1.5 | 1.0 | ok 2.0 | ok 3.0 | ok 4.0 |
/// | 2 | 10 | 12 | 3.0 | 0.25 | -    | -   | 0.8 | ok 1.0 | dropped | timeout |
/// | 3 | 22 | 8  | 2.5 | 0.25 | 0.75 | 0.9 | 0.6 | ok 0.5 | ok 1.5 | refused |
/// | 4 | 30 | 10 | 2.5 | 0.25 | 0.70 | 1.0 | 0.5 | ok 0.5 | error | ok 2.0 |
///
/// Messages of round r: a task down to every client c of `1000 r + c` bytes (`DENSE_F32`), a
/// result up from every client whose task was ok of `500 + c` bytes with an analytic minimum of
/// `400 + c`, and a heartbeat down to no client of 18 bytes (`none`).
///
/// Every client whose task was ok reports the figure `topk_k` = `10 r + c` (`client_metrics`), and
/// client 1's failed task of round 4 reports `missing_mask` = 1.
public enum SyntheticRun {
    public static let startedAt = Date(timeIntervalSince1970: 1_800_000_000)
    public static let endedAt = Date(timeIntervalSince1970: 1_800_000_100)

    public static let info = RunInfo(
        name: "synthetic, \"quoted\"", topologyYAML: "name: synthetic\nrounds: 4\n", method: "fedavg",
        model: "lenet5", dataset: "synthetic-images", seed: 0xFEED_FACE_CAFE_BEEF, orchardVersion: "0.1.0-test",
        processes: 2, plannedRounds: 4, checkpointInterval: 2, startedAt: startedAt)

    public static let clients = [
        ClientRecord(
            clientID: 0, group: "fast", memoryBudgetBytes: 1_000_000, uplinkBitsPerSecond: 1e6,
            downlinkBitsPerSecond: 1e7, latencySeconds: 0.05, computeFLOPsPerSecond: 1e9, trainSamples: 100,
            testSamples: 20),
        ClientRecord(
            clientID: 1, group: "fast", memoryBudgetBytes: 1_000_000, uplinkBitsPerSecond: 1e6,
            downlinkBitsPerSecond: 1e7, latencySeconds: 0.05, computeFLOPsPerSecond: 1e9, trainSamples: 120,
            testSamples: 20),
        ClientRecord(
            clientID: 2, group: "slow", memoryBudgetBytes: nil, uplinkBitsPerSecond: 1e5, downlinkBitsPerSecond: 1e6,
            latencySeconds: 0.2, computeFLOPsPerSecond: 1e8, availability: 0.5, trainSamples: 80, testSamples: 10,
            validationSamples: 5),
    ]

    /// Each round's client outcomes: status and loss, by client id.
    public static let outcomes: [[(ClientRoundStatus, Double?)]] = [
        [(.ok, 2.0), (.ok, 3.0), (.ok, 4.0)],
        [(.ok, 1.0), (.dropped, nil), (.timeout, nil)],
        [(.ok, 0.5), (.ok, 1.5), (.refused, nil)],
        [(.ok, 0.5), (.error, nil), (.ok, 2.0)],
    ]

    /// The state checkpointed after `round`: ten values that differ from round to round.
    public static func state(round: Int) -> CheckpointState {
        CheckpointState(
            entries: [
                CheckpointEntry(name: "fc.weight", shape: [2, 4], kind: "weight", offset: 0),
                CheckpointEntry(name: "fc.bias", shape: [2], kind: "bias", offset: 8),
            ],
            values: (0..<10).map { Float($0) * 0.5 + Float(round) }, extra: round == 4 ? [1, 2, 3] : nil)
    }

    /// The rows of round `round` (1 to 4).
    public static func commit(round: Int) -> RoundCommit {
        let simStarts = [0.0, 10, 22, 30]
        let simSeconds = [10.0, 12, 8, 10]
        let walls = [2.0, 3.0, 2.5, 2.5]
        let accuracies: [Double?] = [0.5, nil, 0.75, 0.7]
        let losses: [Double?] = [1.5, nil, 0.9, 1.0]
        let densities = [1.0, 0.8, 0.6, 0.5]
        let outcomes = Self.outcomes[round - 1]
        let answered = outcomes.filter { $0.0 == .ok }.count
        let record = RoundRecord(
            round: round, phase: round == 1 ? "warm_up" : "train", simStart: simStarts[round - 1],
            simSeconds: simSeconds[round - 1], wallSeconds: walls[round - 1], coordinatorSeconds: 0.25, sampled: 3,
            answered: answered, dropped: 3 - answered, globalDensity: densities[round - 1],
            testAccuracy: accuracies[round - 1], testLoss: losses[round - 1], trainLoss: 2.0 / Double(round))
        var clientRounds: [ClientRoundRecord] = []
        var messages: [MessageRecord] = []
        for (client, outcome) in outcomes.enumerated() {
            let ok = outcome.0 == .ok
            clientRounds.append(
                ClientRoundRecord(
                    clientID: client, task: "train", status: outcome.0, reason: ok ? nil : "because, \"\(outcome.0)\"",
                    samples: ok ? 100 : 0, loss: outcome.1, accuracy: ok ? 0.5 : nil, flops: ok ? 1_000_000 : nil,
                    memoryBudgetBytes: client == 2 ? 2_000_000 : 1_000_000,
                    predictedPeakBytes: 500_000 + 10_000 * round + client,
                    measuredPeakBytes: ok ? 400_000 + 10_000 * round + client : nil, simSeconds: 5, wallSeconds: 1,
                    metrics: metrics(round: round, client: client, status: outcome.0)))
            messages.append(
                MessageRecord(
                    clientID: client, direction: .down, kind: "task", encoding: "DENSE_F32",
                    bytes: 1000 * round + client, envelopeBytes: 60))
            if ok {
                messages.append(
                    MessageRecord(
                        clientID: client, direction: .up, kind: "result", encoding: "DENSE_F32", bytes: 500 + client,
                        envelopeBytes: 40, analyticBytes: 400 + client))
            }
        }
        messages.append(MessageRecord(clientID: nil, direction: .down, kind: "heartbeat", encoding: "none", bytes: 18))
        let layers = [
            LayerRecord(layer: "fc.weight", density: densities[round - 1], parameters: 8),
            LayerRecord(layer: "fc.bias", density: 1, parameters: 2),
        ]
        return RoundCommit(
            round: record, clientRounds: clientRounds, messages: messages, layers: layers,
            checkpoint: round % 2 == 0 ? state(round: round) : nil)
    }

    /// The figures without a column that a client's task of `round` reports.
    public static func metrics(round: Int, client: Int, status: ClientRoundStatus) -> [String: Double] {
        switch status {
        case .ok: ["topk_k": Double(10 * round + client)]
        case .error: ["missing_mask": 1]
        default: [:]
        }
    }

    /// Creates `path` and writes the run's first `rounds` rounds; finishes it as completed after round 4.
    @discardableResult
    public static func write(to path: String, rounds: Int = 4) throws -> (RunStore, RunID) {
        let store = try RunStore.create(at: path)
        let run = try store.startRun(info)
        try store.registerClients(clients, run: run)
        for round in stride(from: 1, through: rounds, by: 1) {
            try store.commitRound(commit(round: round), run: run)
        }
        if rounds == 4 { try store.finishRun(run, status: .completed, at: endedAt) }
        return (store, run)
    }
}
