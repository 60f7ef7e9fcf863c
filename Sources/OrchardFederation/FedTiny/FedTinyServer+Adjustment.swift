import OrchardNN
import OrchardPayload
import OrchardPruning
import OrchardTensor

/// Sparse training and progressive pruning (`docs/methods.md`, FedTiny): masked FedAvg every round, and in an
/// adjustment round a prune-and-grow step on one block of layers driven by clients' top-K gradients.
extension FedTinyServer {
    /// Averages the clients' kept values position by position (masked FedAvg, weighted by
    /// samples, or the run's robust `aggregation`), then, in an adjustment round, moves weights in
    /// the adjusted layers.
    func aggregateTraining(round: Int, results: [ClientResult]) throws {
        let usable = results.filter {
            $0.outcome == .ok && ($0.kind == .train || $0.kind == .adjust)
        }
        guard !usable.isEmpty else { return }
        let sent = global.masks
        let contributions = try usable.map { result -> MaskedAverage.Contribution in
            guard let samples = result.metrics["samples"], samples > 0 else {
                throw FederationError(
                    "the \(result.kind) result of client \(result.client) in round \(round) reports no samples")
            }
            let weights = result.tensors.filter { !$0.name.hasPrefix(FedTinyProtocol.topKName("")) }
            return (samples, try SparseTransfer.resolve(weights, shapes: shapes, sent: sent))
        }
        let (values, _) = try MaskedAverage.average(
            contributions, shapes: shapes, aggregation: setup.aggregation, reference: Aggregation.reference(global))
        for named in global.parameters {
            guard let average = values[named.name] else {
                throw FederationError("no client sent '\(named.name)' in round \(round)")
            }
            // Assigning keeps the pruned positions at zero: the mask changes only by adjustment.
            average.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
        guard let pending = pendingCounts, pending.round == round else { return }
        let reports = usable.filter { $0.kind == .adjust }
        guard !reports.isEmpty else { return }
        try adjust(counts: pending.counts, reports: reports, round: round)
    }

    /// The prune-and-grow step of an adjustment round, on each adjusted layer.
    ///
    /// `ḡ[i] = Σ_clients g_c[i] / N`, N the clients that answered the round, a client that did not
    /// report i adding 0 (OG's unweighted mean). The k_l active weights of smallest |w|
    /// are pruned and the k_l reported positions of largest |ḡ| grown at zero, so the layer keeps
    /// its count; when the clients reported fewer than k_l positions (their buffers were small),
    /// only as many are moved.
    func adjust(counts: [String: Int], reports: [ClientResult], round: Int) throws {
        lastAdjustment = [:]
        var newMasks: [String: [Int32]] = [:]
        for name in counts.keys.sorted() {
            guard let parameter = global.parameter(named: name), let active = global.masks[name] else {
                throw FederationError("fedtiny: adjusted weight '\(name)' is not pruned on the server")
            }
            let mask = TensorMask(shape: parameter.shape, activeIndices: active)
            let ranked = try TopKGrowth.ranked(name, mask: mask, reports: reports, round: round)
            let change = TopKGrowth.move(mask, weights: parameter.value, ranked: ranked, count: counts[name] ?? 0)
            newMasks[name] = change.mask.activeIndices
            lastAdjustment[name] = (change.pruned, change.grown)
        }
        // Positions that come back start at zero (Parameter.prune), as OG sets grown weights.
        try global.applyMasks(newMasks, batch: setup.training.batch, storage: .masked)
    }
}
