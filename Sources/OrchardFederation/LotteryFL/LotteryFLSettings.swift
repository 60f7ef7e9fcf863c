/// The settings of `lotteryfl`: the target density, the pruning step and its trigger, the
/// held-out share, rewinding, and the shared `storage` and `fp16`.
public struct LotteryFLSettings: SparseMethodSettings, Equatable {
    /// The density (the target of every prunable layer), storage and precision; the other shared
    /// pruning settings do not apply, since clients prune per layer from a dense start.
    public var pruning = PruningSettings()
    /// The fraction of a layer's remaining weights a client prunes in one step.
    public var pruneRate = 0.2
    /// The held-out accuracy of the received model at which its client prunes.
    public var accuracyThreshold = 0.5
    /// The share of each client's shard held out to evaluate its own model.
    public var holdoutFraction = PersonalSplit.defaultFraction
    /// Whether a client that pruned resets its kept values to the initial model's.
    public var rewind = true

    /// The defaults, with density 1.
    public init() {}

    /// Clients start dense: they train the whole model until they prune.
    public static func trainingDensity(_ settings: Self) -> Double { 1 }

    public static let declarations: [SettingDeclaration<LotteryFLSettings>] =
        PruningSettings.declarations.filter {
            ["density", "storage", PruningSettings.halfPrecisionKey].contains($0.setting.key)
        }
        .map { $0.within(\.pruning) } + [
            .number(
                "prune_rate", \.pruneRate, in: 0.01...0.99,
                "The fraction of a layer's remaining weights a client prunes in one step."),
            .number(
                "accuracy_threshold", \.accuracyThreshold, in: 0...1,
                "The held-out accuracy the received model must reach before its client prunes."),
            .number(
                "holdout_fraction", \.holdoutFraction, in: 0.01...0.99,
                "The share of each client's shard held out to evaluate its own model."),
            .boolean(
                "rewind", \.rewind, "Whether a client that pruned resets its kept weights to their initial values."),
        ]
}

extension MethodDescriptor {
    /// LotteryFL: each client prunes a mask of its own when its held-out accuracy passes a threshold.
    public static let lotteryFL = MethodDescriptor(
        name: "lotteryfl",
        summary:
            "LotteryFL (Li et al., 2020): each client prunes its own mask by magnitude, rewinding to the initial "
            + "weights, when its held-out accuracy passes a threshold; the server averages each position over the "
            + "clients that keep it and keeps every client's mask.",
        settings: LotteryFLSettings.self, trainingDensity: LotteryFLSettings.trainingDensity,
        server: { try LotteryFLServer(setup: $0, settings: $1) },
        client: { try LotteryFLClient(setup: $0, settings: $1) })
}
