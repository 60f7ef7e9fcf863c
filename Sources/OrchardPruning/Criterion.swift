import OrchardNN
import OrchardTensor

/// A pruning criterion: how each prunable weight is scored (higher scores are kept).
///
/// Every criterion combines with every allocation of a `PruningPlan`: layer-wise keeps each
/// layer's top-scored weights at its density, global keeps the top scores over all layers
/// after each layer's minimum.
public enum Criterion: Sendable {
    /// |w| of the current weights.
    case magnitude
    /// Uniform random scores from the given stream: a random mask at the allocated densities.
    case random(RandomStream)
    /// SNIP, |g ⊙ w| with g the loss gradient on the given batches.
    case snip(ScoringBatches)
    /// SynFlow, data-free and iterative over `iterations` rounds (see `synFlowMask`).
    case synFlow(iterations: Int)
    /// GraSP, w ⊙ Hg on the given batches (see `graspScores`).
    case grasp(ScoringBatches, GraSPOptions)

    /// The mask this criterion keeps for a plan; the network's state is left as it was.
    public func mask(for network: Network, plan: PruningPlan) throws -> ModelMask {
        let layers = PrunableLayers(network, selection: plan.selection)
        switch self {
        case .magnitude:
            return try MaskSelection.select(Self.magnitudeScores(layers), layers: layers, plan: plan)
        case .random(var random):
            return try MaskSelection.select(Self.randomScores(layers, random: &random), layers: layers, plan: plan)
        case .snip(let batches):
            return try MaskSelection.select(
                Self.snipScores(network, layers: layers, batches: batches), layers: layers, plan: plan)
        case .synFlow(let iterations):
            return try Self.synFlowMask(network, plan: plan, iterations: iterations)
        case .grasp(let batches, let options):
            return try MaskSelection.select(
                Self.graspScores(network, layers: layers, batches: batches, options: options), layers: layers,
                plan: plan)
        }
    }

    /// |w| of each prunable weight.
    public static func magnitudeScores(_ layers: PrunableLayers) -> ModelScores {
        ModelScores(
            names: layers.names, shapes: layers.shapes,
            values: layers.entries.map { $0.parameter.value.values.map(abs) })
    }

    /// A uniform score in [0, 1) for each prunable weight, drawn layer after layer in parameter order.
    public static func randomScores(_ layers: PrunableLayers, random: inout RandomStream) -> ModelScores {
        ModelScores(
            names: layers.names, shapes: layers.shapes,
            values: layers.entries.map { entry in (0..<entry.count).map { _ in random.nextFloat() } })
    }
}
