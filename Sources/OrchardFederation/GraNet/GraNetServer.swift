import OrchardNN
import OrchardPruning
import OrchardTensor

/// GraNet (Liu et al., NeurIPS 2021) in federated rounds: the server half.
///
/// The model starts dense, or pruned by |w| to `initial_density`. Clients train it under its mask
/// and the server averages their weights over the clients keeping each position. After the
/// aggregation of a pruning round (`gmp`'s cubic schedule, from the initial density to `density`)
/// the server prunes by |w| to the schedule's density. In an adjustment round (`delta`, `2 delta`,
/// … ≤ `t_end`) the clients also report their top-K gradients of each pruned weight's pruned
/// positions (FedTiny's client, `TopKBuffer`), and after the gradual step the server drops, per
/// layer, the `int(f(t) · active)` kept weights of smallest |w| and grows as many of the reported
/// positions of largest averaged |gradient| (`TopKGrowth`), at zero: the neuroregeneration that
/// lets the mask recover from pruning. Regrowth keeps each layer's count, so the density is the
/// schedule's.
public final class GraNetServer: ServerMethod {
    let model: SparseGlobalModel
    let settings: GraNetSettings
    let pruningSchedule: CubicSchedule
    /// The positions the last regrowth pruned and grew, by weight name.
    public private(set) var lastAdjustment: [String: (pruned: [Int32], grown: [Int32])] = [:]

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: GraNetSettings) throws {
        pruningSchedule = try settings.cubicSchedule()
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning, dense: true)
        self.settings = settings
        if settings.initialDensity < 1 {
            try model.pruneByMagnitude(to: settings.initialDensity)
            if settings.pruning.rescaleKept { KeptWeightScaling.rescale(model.network) }
        }
    }

    /// The kept positions of each pruned weight, by name; empty while the model is dense.
    public var masks: [String: [Int32]] { model.masks }

    /// The density the cubic schedule asks for after the aggregation of `round`, if `round` prunes.
    public func density(afterRound round: Int) -> Double? {
        guard pruningSchedule.isPruningStep(round), round <= settings.gradual.endRound else { return nil }
        let density = pruningSchedule.density(at: round)
        return density < 1 ? density : nil
    }

    /// The gradients an adjustment round asks each client for, per pruned weight.
    ///
    /// For each weight with pruned positions: `int(f(t) · active)` of the current mask, at least
    /// the count the server moves after the round's gradual step (which only lowers `active`).
    /// Empty in other rounds.
    public func requestedCounts(round: Int) -> [String: Int] {
        guard settings.schedule.adjusts(round: round) else { return [:] }
        let fraction = settings.schedule.fraction(round: round)
        var counts: [String: Int] = [:]
        for named in global.parameters {
            guard let kept = masks[named.name]?.count, kept < named.parameter.denseCount else { continue }
            let count = PruneAndGrow.adjustmentCount(active: kept, fraction: fraction)
            if count > 0 { counts[named.name] = count }
        }
        return counts
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        let counts = requestedCounts(round: round)
        guard !counts.isEmpty else { return model.tasks(round: round, clients: clients, kind: .train) }
        let extra = FedTinyProtocol.topKRequest(counts, bufferBytes: settings.topKBufferBytes)
        return model.tasks(round: round, clients: clients, kind: .adjust, extra: extra)
    }

    /// The state under the masks sent and, in an adjustment round, the top-K gradients asked for.
    public func contract(for task: ClientTask) -> ResultContract { FedTinyServer.trainingContract(for: task) }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateUnderMasks(round: round, results: results)
        if let density = density(afterRound: round) { try model.pruneByMagnitude(to: density) }
        let reports = results.filter { $0.outcome == .ok && $0.kind == .adjust }
        guard settings.schedule.adjusts(round: round), !reports.isEmpty else { return }
        try regrow(reports: reports, fraction: settings.schedule.fraction(round: round), round: round)
    }

    /// Per pruned weight, drops the `int(fraction · active)` smallest |w| and grows as many reported
    /// positions of largest averaged |gradient|, at zero (fewer when fewer were reported).
    func regrow(reports: [ClientResult], fraction: Double, round: Int) throws {
        lastAdjustment = [:]
        var newMasks: [String: [Int32]] = [:]
        for (name, active) in masks.sorted(by: { $0.key < $1.key }) {
            guard let parameter = global.parameter(named: name) else { continue }
            let count = PruneAndGrow.adjustmentCount(active: active.count, fraction: fraction)
            guard count > 0 else { continue }
            let mask = TensorMask(shape: parameter.shape, activeIndices: active)
            let ranked = try TopKGrowth.ranked(name, mask: mask, reports: reports, round: round)
            let change = TopKGrowth.move(mask, weights: parameter.value, ranked: ranked, count: count)
            newMasks[name] = change.mask.activeIndices
            lastAdjustment[name] = (change.pruned, change.grown)
        }
        let changed = newMasks.filter { masks[$0.key] != $0.value }
        if !changed.isEmpty { try global.applyMasks(changed, batch: model.setup.training.batch, storage: .masked) }
    }
}
