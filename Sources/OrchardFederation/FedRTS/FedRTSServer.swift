import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedRTS (Huang et al., 2025): the server half, mask adjustment by Thompson sampling.
///
/// The model starts from the sparse methods' initial mask (`SparseGlobalModel`) and trains as
/// masked FedAvg. Every `delta` rounds until `t_end` the round is an adjustment: clients also
/// send the top-K gradients of each pruned layer's pruned positions (`k/<name>` = the cosine
/// fraction of the layer's kept count, FedTiny's uploads), and the server adds the round's
/// evidence to a Beta posterior per position (`ThompsonAdjustment.observe`), then drops and grows
/// by sampling the posteriors (`ThompsonAdjustment.select`). The posteriors persist across rounds
/// and checkpoints, so a decision weighs every earlier adjustment, not only this round's clients.
public final class FedRTSServer: ServerMethod {
    let model: SparseGlobalModel
    let schedule: AdjustmentSchedule
    let settings: FedRTSSettings
    /// The posteriors of each pruned weight's positions, by name.
    private(set) var posteriors: [String: BetaPosteriors]

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: FedRTSSettings) throws {
        let model = try SparseGlobalModel(setup: setup, pruning: settings.pruning)
        let prior = settings.prior
        guard prior > 0 && prior.isFinite else { throw FederationError("fedrts: prior \(prior) is not positive") }
        posteriors = model.masks.keys.reduce(into: [:]) { table, name in
            table[name] = BetaPosteriors(count: model.shapes[name]?.reduce(1, *) ?? 0, prior: prior)
        }
        self.model = model
        self.settings = settings
        schedule = settings.schedule
    }

    /// The kept positions of each pruned weight, by name.
    public var masks: [String: [Int32]] { model.masks }

    /// The positions each pruned layer moves in round `round`: the schedule's fraction of its kept count.
    func movedCounts(round: Int) -> [String: Int] {
        let fraction = schedule.fraction(round: round)
        return model.masks.mapValues { PruneAndGrow.adjustmentCount(active: $0.count, fraction: fraction) }
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        guard schedule.adjusts(round: round) else { return model.tasks(round: round, clients: clients, kind: .train) }
        let extra = FedTinyProtocol.topKRequest(movedCounts(round: round), bufferBytes: settings.topKBufferBytes)
        return model.tasks(round: round, clients: clients, kind: .adjust, extra: extra)
    }

    /// The state under the masks sent, and in an adjustment round at most `k/<name>` gradients of
    /// each layer's pruned positions.
    public func contract(for task: ClientTask) -> ResultContract { FedTinyServer.trainingContract(for: task) }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let weighted = try SparseGlobalModel.weighted(results, round: round)
        guard !weighted.isEmpty else { return }
        let (values, union) = try model.average(weighted)
        try model.assign(values: values, masks: union, round: round)
        let adjusting = schedule.adjusts(round: round)
        try adjust(reports: adjusting ? weighted.map(\.result).filter { $0.kind == .adjust } : [], round: round)
    }

    /// Observes the round and, in an adjustment round with reports, moves each pruned layer's
    /// weights by Thompson sampling.
    ///
    /// Every round observes the kept weights' averaged magnitudes, against the count the
    /// schedule's fraction of the round would move (at least one), so the posteriors of kept
    /// positions gather evidence between adjustments; only adjustment rounds observe gradients.
    func adjust(reports: [ClientResult], round: Int) throws {
        let moved = movedCounts(round: round)
        var newMasks: [String: [Int32]] = [:]
        for (layer, name) in model.masks.keys.sorted().enumerated() {
            guard let kept = model.masks[name], var belief = posteriors[name],
                let parameter = global.parameter(named: name)
            else { throw FederationError("fedrts: '\(name)' has no mask or posterior on the server") }
            let magnitudes = kept.map { abs(parameter.value[Int($0)]) }
            ThompsonAdjustment.observe(
                &belief, kept: kept, magnitudes: magnitudes, moved: max(1, moved[name] ?? 0),
                reports: try Self.reportCounts(reports, name: name, kept: kept, round: round), clients: reports.count)
            posteriors[name] = belief
            guard !reports.isEmpty else { continue }
            var random = RandomStream(seed: model.setup.seed, purpose: "fedrts-adjust", round, layer)
            let choice = ThompsonAdjustment.select(belief, kept: kept, moved: moved[name] ?? 0, random: &random)
            if choice.kept != kept { newMasks[name] = choice.kept }
        }
        // Grown positions start at zero (`Parameter.prune` zeroes what comes back).
        if !newMasks.isEmpty { try global.applyMasks(newMasks, batch: model.setup.training.batch, storage: .masked) }
    }

    /// How many clients name each pruned position of `name` among their top-K gradients.
    static func reportCounts(_ reports: [ClientResult], name: String, kept: [Int32], round: Int) throws -> [Int32: Int]
    {
        let keptSet = Set(kept)
        var counts: [Int32: Int] = [:]
        for result in reports {
            guard let tensor = result.tensors.first(where: { $0.name == FedTinyProtocol.topKName(name) }) else {
                continue
            }
            guard case .sparse(_, let indices, _) = tensor.payload else {
                throw FederationError(
                    "client \(result.client) sent '\(tensor.name)' in round \(round) without positions")
            }
            for index in indices where !keptSet.contains(index) { counts[index, default: 0] += 1 }
        }
        return counts
    }

    /// The masks and the posteriors, so that a resumed run decides as the uninterrupted one would.
    public func checkpointExtra() -> [UInt8]? {
        FedRTSState.encode(masks: masks, posteriors: posteriors, order: global)
    }

    /// Restores the masks, then the posteriors, that a checkpoint saved.
    public func restore(checkpointExtra: [UInt8]?) throws {
        guard let checkpointExtra else { return }
        let state = try FedRTSState.decode(checkpointExtra, expecting: posteriors)
        try global.applyMasks(state.masks, batch: 1, storage: .masked)
        posteriors = state.posteriors
    }
}
