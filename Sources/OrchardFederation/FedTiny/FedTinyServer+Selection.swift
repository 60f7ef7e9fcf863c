import OrchardNN
import OrchardPruning
import OrchardTensor

/// Adaptive batch-norm selection: two rounds that pick the candidate whose pruned
/// structure, with batch-norm statistics recalibrated on the clients' data, has the lowest loss.
extension FedTinyServer {
    /// Round 1: the pretrained dense state once and every candidate's mask; each client
    /// recalibrates each candidate's batch-norm statistics on its validation split.
    func batchNormTasks(round: Int, clients: [Int]) -> [ClientTask] {
        let tensors = denseState + candidateMasks
        return clients.map {
            ClientTask(
                client: $0, round: round, kind: .batchNormStatistics, settings: taskSettings,
                tensors: tensors)
        }
    }

    /// Round 2: the dense state, the masks and each candidate's averaged statistics; each client
    /// reports each candidate's summed loss and correct count on its validation split.
    func scoreTasks(round: Int, clients: [Int]) -> [ClientTask] {
        let statistics = candidateStatistics.enumerated().flatMap { $1.tensors(candidate: $0) }
        let tensors = denseState + candidateMasks + statistics
        return clients.map {
            ClientTask(client: $0, round: round, kind: .score, settings: taskSettings, tensors: tensors)
        }
    }

    /// Averages each candidate's statistics over the clients, weighted by their validation samples.
    ///
    /// A candidate no client reported (every client refused: FedTiny's clients must hold the dense
    /// model here) keeps the pretrained statistics.
    func aggregateBatchNormStatistics(round: Int, results: [ClientResult]) throws {
        let usable = results.filter { $0.outcome == .ok && $0.kind == .batchNormStatistics }
        guard !usable.isEmpty, !candidateStatistics[0].values.isEmpty else { return }
        for candidate in 0..<configuration.candidates {
            let reports = try usable.map { result -> (weight: Double, statistics: BatchNormStatistics) in
                guard let statistics = try BatchNormStatistics.from(result.tensors, candidate: candidate) else {
                    throw FederationError(
                        "the bn_stats result of client \(result.client) in round \(round) lacks candidate \(candidate)")
                }
                return (try Self.validationSamples(result, round: round), statistics)
            }
            candidateStatistics[candidate] = try BatchNormStatistics.weightedMean(reports)
        }
    }

    /// Picks the candidate of lowest sample-weighted loss and adopts it.
    ///
    /// The loss is `Σ_i loss_i,c / Σ_i m_i` (ties: the lower index); the global model becomes the
    /// pretrained weights under the candidate's mask with its statistics. Without any score,
    /// candidate 0 is taken.
    func aggregateScores(round: Int, results: [ClientResult]) throws {
        let usable = results.filter { $0.outcome == .ok && $0.kind == .score }
        var best = 0
        if !usable.isEmpty {
            var samples = 0.0
            var sums = [Double](repeating: 0, count: configuration.candidates)
            for result in usable {
                samples += try Self.validationSamples(result, round: round)
                for candidate in 0..<configuration.candidates {
                    guard let loss = result.metrics[FedTinyProtocol.lossMetric(candidate)] else {
                        throw FederationError(
                            "the score result of client \(result.client) in round \(round) lacks candidate \(candidate)"
                        )
                    }
                    sums[candidate] += loss
                }
            }
            let losses = sums.map { $0 / samples }
            candidateLosses = losses
            best = Self.lowestLoss(losses)
        }
        try adopt(candidate: best)
    }

    /// The index of the lowest loss, the lower index on ties; NaN never wins over a number.
    static func lowestLoss(_ losses: [Double]) -> Int {
        var best = 0
        for (index, loss) in losses.enumerated() where !loss.isNaN {
            if losses[best].isNaN || loss < losses[best] { best = index }
        }
        return best
    }

    /// Makes candidate `candidate` the global model: its mask over the pretrained weights, and
    /// its batch-norm statistics.
    func adopt(candidate: Int) throws {
        try global.load(denseState)
        try candidateStatistics[candidate].load(into: global)
        // The server holds the model masked: dense storage, zeros at pruned positions.
        try pool.masks[candidate].prune(global, batch: setup.training.batch, storage: .masked)
        selected = candidate
    }

    static func validationSamples(_ result: ClientResult, round: Int) throws -> Double {
        guard let samples = result.metrics["validation_samples"], samples > 0 else {
            throw FederationError(
                "the \(result.kind) result of client \(result.client) in round \(round) reports no validation samples")
        }
        return samples
    }
}
