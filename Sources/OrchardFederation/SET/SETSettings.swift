/// The settings of `set`: the sparse start and the drop-and-regrow schedule.
public struct SETSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    /// Every `delta` rounds until `t_end`, the fraction `adjust_alpha`, decayed by cosine, moves.
    public var schedule = AdjustmentSchedule(interval: 2, endRound: 16, alpha: 0.3)

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) { pruning.density = density }

    public static let declarations: [SettingDeclaration<SETSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) }
}

extension MethodDescriptor {
    /// SET: sparse from the start; the server drops the smallest weights and regrows at random.
    public static let set = MethodDescriptor(
        name: "set",
        summary:
            "SET (Mocanu et al., 2018): sparse from the start; every delta rounds the server drops the smallest-"
            + "magnitude fraction of each layer's weights (cosine-decayed) and regrows as many at random, zero.",
        settings: SETSettings.self, trainingDensity: SETSettings.trainingDensity,
        server: { try SETServer(setup: $0, settings: $1) },
        client: { try FixedMaskClient(setup: $0, storage: $1.pruning.storage) })
}
