import OrchardNN
import OrchardPruning

/// Gradual magnitude pruning (Zhu and Gupta, 2017) in federated rounds: the server half.
///
/// The model starts dense. Each round the clients train the current model under its mask (the
/// client half is fixed-mask's) and the server averages their weights over the clients keeping
/// each position. After the aggregation of a pruning round `t = start_round + k·prune_every`
/// (up to `end_round`) the server prunes the averaged model by |w| to the cubic schedule's density
/// `d_t = 1 − s_f (1 − (t − t0)/(nΔt))³` with `s_f = 1 − density`, spread over layers as
/// `distribution` says. Pruned weights are zero; weights never grow back.
public final class GMPServer: ServerMethod {
    let model: SparseGlobalModel
    let settings: GMPSettings
    let schedule: CubicSchedule

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: GMPSettings) throws {
        schedule = try settings.schedule()
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning, dense: true)
        self.settings = settings
    }

    /// The kept positions of each pruned weight, by name; empty while the model is dense.
    public var masks: [String: [Int32]] { model.masks }

    /// The density the schedule asks for after the aggregation of `round`, if `round` prunes.
    public func density(afterRound round: Int) -> Double? {
        guard schedule.isPruningStep(round), round <= settings.endRound else { return nil }
        let density = schedule.density(at: round)
        return density < 1 ? density : nil
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        model.tasks(round: round, clients: clients, kind: .train)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateUnderMasks(round: round, results: results)
        if let density = density(afterRound: round) { try model.pruneByMagnitude(to: density) }
    }
}
