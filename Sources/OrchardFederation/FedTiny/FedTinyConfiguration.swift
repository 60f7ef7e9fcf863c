import OrchardNN
import OrchardPruning

/// FedTiny's settings, with the defaults documented in `docs/methods.md`.
public struct FedTinyConfiguration: SparseMethodSettings, Equatable {
    /// How candidates' layer-wise densities are drawn around the target.
    public enum DensityNoise: String, Sendable, CaseIterable {
        /// `d_l = d · (1 + u_l)`, `u_l ~ U(−0.5, 0.5)` (OG's `noise-uniform-magnitude`).
        case uniform
        /// Erdős–Rényi densities times `(1 + 2u_l)` (OG's `noise-erdos-renyi-magnitude`).
        case er
        /// Erdős–Rényi-Kernel densities times `(1 + 2u_l)` (OG's `noise-erdos-renyi-kernel-magnitude`).
        case erk
    }

    /// Which layers one adjustment round changes (OG's `--grand`).
    public enum Granularity: String, Sendable, CaseIterable {
        /// One block of layers (a ResNet stage, or a pair of consecutive layers), cycling from the output.
        case block
        /// One masked layer, cycling from the output.
        case layer
        /// Every masked layer.
        case entire
    }

    /// The shared pruning settings of which FedTiny reads the density, budget and storage.
    public var pruning = PruningSettings()
    /// Epochs the server trains the dense model on its small data set before pruning; 0 skips it.
    public var pretrainEpochs = 3
    /// The number of candidate masks in the pool.
    public var candidates = 4
    /// How candidates' layer densities are drawn.
    public var densityNoise = DensityNoise.uniform
    /// The least density a candidate gives any masked layer (0: none beyond one weight, as OG).
    public var densityFloor = 0.0
    /// Whether the stem (first prunable weight) stays dense, as OG keeps it.
    public var denseFirstLayer = true
    /// Train-mode passes over the validation split that recalibrate batch-norm statistics.
    public var batchNormPasses = 10
    /// The share of a client's shard used for selection (batch-norm statistics and scoring).
    public var validationFraction = 0.1
    /// Rounds between adjustments: round t adjusts when `t % delta == 0`.
    public var delta = 10
    /// The last round that may adjust, and the end of the cosine decay.
    public var endRound = 100
    /// The initial fraction of a layer's active weights moved in an adjustment.
    public var adjustAlpha = 0.2
    /// How `f(t) · active` becomes a count of weights to move: up, as OG's FedTiny code rounds.
    public var moveRounding = PruneAndGrow.Rounding.up
    /// The top-K buffer of a client without a memory budget, in bytes.
    public var topKBufferBytes = 1 << 20
    /// Which layers an adjustment changes.
    public var granularity = Granularity.block

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) { pruning.density = density }

    /// The settings a client that only trains reads (FedRTS's and GraNet's): the pruning settings
    /// (their storage) and the top-K buffer of a client without a memory budget.
    public init(pruning: PruningSettings, topKBufferBytes: Int) {
        self.pruning = pruning
        self.topKBufferBytes = topKBufferBytes
    }

    /// The target density of the model (the shared `density` setting).
    public var density: Double { pruning.density }
    /// What the density is a fraction of.
    public var budget: DensityBudget { pruning.budget }
    /// How clients hold pruned weights.
    public var storage: SparseStorage { pruning.storage }

    public static let declarations: [SettingDeclaration<FedTinyConfiguration>] =
        PruningSettings.declarations.filter { !["distribution", "prune_first_layer"].contains($0.setting.key) }
        .map { $0.within(\.pruning) } + [
            .integer(
                "pretrain_epochs", \.pretrainEpochs, in: 0...1000,
                "Epochs the server trains the dense model on its small set before pruning; 0 skips it."),
            .integer(
                "candidates", \.candidates, in: 1...64,
                "Candidate masks in the pool, each with its own noisy layer densities."),
            .choice(
                "density_noise", \.densityNoise,
                "Layer densities of a candidate: the target times U(0.5, 1.5), or ER/ERK (an ERK-shaped pool) times U(0, 2)."
            ),
            .number(
                "density_floor", \.densityFloor, in: 0...1,
                "The least density a candidate gives any masked layer; 0 leaves one weight as the only floor."),
            .boolean(
                "dense_first_layer", \.denseFirstLayer,
                "Whether the stem stays dense, as the original FedTiny code keeps it."),
            .integer(
                "bn_passes", \.batchNormPasses, in: 1...100,
                "Training-mode passes over the validation split that recalibrate batch-norm statistics."),
            .fraction(
                "validation_fraction", \.validationFraction,
                "The share of each client's shard used to recalibrate and score the candidates."),
            .integer(
                "delta", \.delta, in: 1...10_000,
                "Rounds between mask adjustments: round t adjusts when t is a multiple of delta."),
            .integer(
                "t_end", \.endRound, in: 0...1_000_000,
                "The last round that adjusts the mask, where the cosine fraction reaches 0; about 0.8 of the rounds."),
            .number(
                "adjust_alpha", \.adjustAlpha, in: 0...1,
                "The fraction of a layer's kept weights moved by the first adjustment, decaying by cosine."),
            .choice(
                "move_rounding", \.moveRounding,
                "How the fraction of a layer's kept weights becomes a count: down (FedPruning) or up (the FedTiny code)."
            ),
            .choice(
                "granularity", \.granularity,
                "What one adjustment changes: one block of layers, one layer, or every layer."),
            .integer(
                "topk_buffer_bytes", \.topKBufferBytes, in: 16...(1 << 40),
                "The top-K search buffer of a client without a memory budget (others use what training leaves)."),
        ]

    /// The weights that candidates mask: linear and convolution weights, the stem left out when it stays dense.
    public var selection: PrunableSelection { PrunableSelection(includeFirstLayer: !denseFirstLayer) }

    /// The cosine schedule of the adjustment fraction, over rounds.
    public var decay: CosineDecay { CosineDecay(alpha: adjustAlpha, endRound: endRound) }
}

/// The rounds and tensor names FedTiny's two halves agree on.
enum FedTinyProtocol {
    /// The round that recalibrates batch norm; the next one scores, and training follows.
    static let batchNormRound = 1
    static let scoreRound = 2

    /// The name of a candidate's tensor, such as `candidate.2/layer1.0.conv1.weight`.
    static func candidateName(_ candidate: Int, _ name: String) -> String { "candidate.\(candidate)/\(name)" }

    /// The candidate and tensor of a candidate's name, or nil for another name.
    static func parseCandidateName(_ qualified: String) -> (candidate: Int, name: String)? {
        guard qualified.hasPrefix("candidate."), let slash = qualified.firstIndex(of: "/") else { return nil }
        let number = qualified[qualified.index(qualified.startIndex, offsetBy: 10)..<slash]
        guard let candidate = Int(number) else { return nil }
        return (candidate, String(qualified[qualified.index(after: slash)...]))
    }

    /// The name of a layer's top-K gradient upload, such as `topk/layer4.1.conv2.weight`.
    static func topKName(_ name: String) -> String { "topk/" + name }

    /// The task setting that asks for `k` gradients of a layer, such as `k/fc.weight`.
    static func countSetting(_ name: String) -> String { "k/" + name }

    /// The task settings of an adjustment that asks for `counts` gradients per layer, searched in
    /// `bufferBytes` on a client without a memory budget.
    static func topKRequest(_ counts: [String: Int], bufferBytes: Int) -> [String: Double] {
        var settings = ["topk_buffer_bytes": Double(bufferBytes)]
        for (name, count) in counts { settings[countSetting(name)] = Double(count) }
        return settings
    }

    /// A candidate's summed validation loss, as a result metric.
    static func lossMetric(_ candidate: Int) -> String { "loss_sum.\(candidate)" }
    /// A candidate's correct validation predictions, as a result metric.
    static func correctMetric(_ candidate: Int) -> String { "correct.\(candidate)" }
}

extension MethodDescriptor {
    /// FedTiny: adaptive batch-norm selection among coarse-pruned candidates, then progressive pruning.
    public static let fedTiny = MethodDescriptor(
        name: "fedtiny",
        summary:
            "FedTiny: pick among magnitude-pruned candidates by adaptive batch-norm selection, then grow and prune "
            + "one block at a time from clients' top-K gradients (Huang et al., 2023).",
        settings: FedTinyConfiguration.self, trainingDensity: FedTinyConfiguration.trainingDensity,
        server: { try FedTinyServer(setup: $0, configuration: $1) },
        client: { try FedTinyClient(setup: $0, configuration: $1) })
}
