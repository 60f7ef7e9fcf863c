/// What a round's masks leave connected (rows of `mask_health` and `layer_health`; the round is the commit's).
///
/// An output unit is dead when no path of kept weights joins it to the input: it computes a
/// constant whatever the sample. The coordinator records this for pruned models (`MaskHealth` of
/// OrchardPruning).
public struct MaskHealthRecord: Sendable, Equatable {
    /// The network's outputs (its classes).
    public var outputs: Int
    /// The network's outputs with no path to the input.
    public var deadOutputs: Int
    /// Every weight layer, pruned or dense, in the network's order.
    public var layers: [LayerHealthRecord]

    /// A round's mask health.
    public init(outputs: Int, deadOutputs: Int, layers: [LayerHealthRecord]) {
        self.outputs = outputs
        self.deadOutputs = deadOutputs
        self.layers = layers
    }

    /// The kept weights over all layers.
    public var kept: Int { layers.reduce(0) { $0 + $1.kept } }
}

/// One weight layer's kept weights and dead outputs after a round (a row of `layer_health`).
public struct LayerHealthRecord: Sendable, Equatable {
    /// The weight's name, such as `conv2.weight`.
    public var layer: String
    /// The weights the layer keeps (all of them when it is dense).
    public var kept: Int
    /// The layer's weights.
    public var weights: Int
    /// The layer's output units: channels of a convolution, features of a linear layer.
    public var outputs: Int
    /// The output units with no path to the input.
    public var deadOutputs: Int

    /// A layer's figures.
    public init(layer: String, kept: Int, weights: Int, outputs: Int, deadOutputs: Int) {
        self.layer = layer
        self.kept = kept
        self.weights = weights
        self.outputs = outputs
        self.deadOutputs = deadOutputs
    }
}

/// A round's mask health as read back, with the round's number.
public struct RoundMaskHealth: Sendable, Equatable {
    /// The round.
    public var round: Int
    /// Its figures.
    public var health: MaskHealthRecord

    /// A round's figures.
    public init(round: Int, health: MaskHealthRecord) {
        self.round = round
        self.health = health
    }
}
