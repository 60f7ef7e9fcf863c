import OrchardNN
import OrchardPruning
import OrchardTensor

/// SET (Mocanu et al., 2018) in federated rounds: the server half.
///
/// The model starts sparse: the largest |w| of the initial weights at the planned layer densities
/// (ERK by default, `distribution: uniform` for the paper's equal densities). Clients train it under
/// its mask (the client half is fixed-mask's) and the server averages over the clients keeping each
/// position. After the aggregation of each adjustment round (`delta`, `2 delta`, … up to `t_end`)
/// the server drops, per layer, the `int(f(t) · active)` kept weights of smallest |w| (f the
/// cosine-decayed `adjust_alpha`) and regrows as many positions drawn uniformly among the inactive
/// ones, the just-dropped included, from the stream `(seed, "set-growth", round)`; grown weights
/// start at zero. Nothing but the trained weights travels up: no gradients.
public final class SETServer: ServerMethod {
    let model: SparseGlobalModel
    let settings: SETSettings

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: SETSettings) throws {
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning)
        self.settings = settings
    }

    /// The kept positions of each pruned weight, by name.
    public var masks: [String: [Int32]] { model.masks }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        model.tasks(round: round, clients: clients, kind: .train)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateUnderMasks(round: round, results: results)
        guard settings.schedule.adjusts(round: round) else { return }
        let scores = Self.growthScores(model.modelMask, seed: model.setup.seed, round: round)
        try model.pruneAndGrow(scores: scores, fraction: settings.schedule.fraction(round: round))
    }

    /// Uniform random scores of every position of every pruned weight: growing the largest is
    /// growing at random.
    static func growthScores(_ mask: ModelMask, seed: UInt64, round: Int) -> ModelScores {
        var random = RandomStream(seed: seed, purpose: "set-growth", round)
        let values = mask.masks.map { layer in (0..<layer.elementCount).map { _ in random.nextFloat() } }
        return ModelScores(names: mask.names, shapes: mask.masks.map(\.shape), values: values)
    }
}
