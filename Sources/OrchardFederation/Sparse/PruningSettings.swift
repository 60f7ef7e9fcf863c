import OrchardNN
import OrchardPruning

/// The settings every sparse method shares: the target density, how it is spread over layers, and
/// how clients hold the pruned weights.
public struct PruningSettings: MethodSettings, Equatable {
    /// The fraction of weights kept; required in a topology, 1 in `init()`.
    public var density: Double = 1
    /// How the kept weights are spread over layers.
    public var allocation: MaskAllocation = .layerwise(.erdosRenyiKernel)
    /// What the density is a fraction of.
    public var budget: DensityBudget = .overAllParameters
    /// Whether the stem convolution is pruned too.
    public var pruneFirstLayer = true
    /// How clients hold pruned weights.
    public var storage: SparseStorage = .automatic
    /// Whether task values travel as binary16: the runtime takes it out of a method's values and
    /// applies it when it encodes tasks, so a method always sees false.
    public var halfPrecision = false
    /// Samples per class of the server's small set, which the runtime draws.
    public var serverSamplesPerClass = 5

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) { self.density = density }

    /// The plan these settings describe.
    public var plan: PruningPlan {
        PruningPlan(
            density: density, budget: budget, allocation: allocation,
            selection: PrunableSelection(includeFirstLayer: pruneFirstLayer))
    }

    /// The key of `halfPrecision`, which the runtime reads from a topology's settings.
    public static let halfPrecisionKey = "fp16"
    /// The key of `serverSamplesPerClass`, which the runtime reads from a topology's settings.
    public static let serverSamplesKey = "server_samples_per_class"

    public static let declarations: [SettingDeclaration<PruningSettings>] = [
        .fraction("density", \.density, required: true, "The fraction of weights kept, such as 5%."),
        .choice(
            "distribution", \.allocation,
            [
                ("erk", .layerwise(.erdosRenyiKernel)), ("er", .layerwise(.erdosRenyi)),
                ("uniform", .layerwise(.uniform)),
                ("global", .global(minimum: LayerMinimum(fraction: 0, count: 1))),
            ], "How the kept weights are spread over layers: ERK, ER, uniform, or one global threshold."),
        .choice(
            "budget", \.budget, [("all", .overAllParameters), ("prunable", .overPrunableParameters)],
            "What the density is a fraction of: every trained parameter (as FedPruning), or the prunable weights."),
        .boolean("prune_first_layer", \.pruneFirstLayer, "Whether the stem convolution is pruned too."),
        .choice(
            "storage", \.storage,
            "How clients hold pruned weights: sparse kernels below each layer's crossover, always, or never."),
        .boolean(
            halfPrecisionKey, \.halfPrecision,
            "Whether the values of every task travel as binary16, halving their bytes (applied by the runtime)."),
        .integer(
            serverSamplesKey, \.serverSamplesPerClass, in: 1...1000,
            "Samples per class of the server's small set, drawn from the test split (SNIP, GraSP, pretraining)."),
    ]
}

/// Settings that hold the shared pruning settings, which gives them the training density.
public protocol SparseMethodSettings: MethodSettings {
    /// The shared pruning settings.
    var pruning: PruningSettings { get }
}

extension SparseMethodSettings {
    /// The density clients train at.
    public static func trainingDensity(_ settings: Self) -> Double { settings.pruning.density }
}
