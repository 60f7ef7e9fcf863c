import OrchardPruning

/// The settings of `granet`: GMP's target and cubic schedule, the sparse start, and the regrowth schedule.
public struct GraNetSettings: SparseMethodSettings, Equatable {
    /// The target and its spread, and the rounds of the cubic schedule (`gmp`'s settings).
    public var gradual = GMPSettings()
    /// The density of the model before the first round: 1 starts dense, less starts sparse by |w|.
    public var initialDensity = 1.0
    /// Every `delta` rounds until `t_end`, the fraction `adjust_alpha`, decayed by cosine, moves.
    public var schedule = AdjustmentSchedule(interval: 1, endRound: 15, alpha: 0.5)
    /// The top-K search buffer of a client without a memory budget, in bytes.
    public var topKBufferBytes = 1 << 20

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) { gradual.pruning.density = density }

    /// The shared pruning settings (the target is reached at `end_round`).
    public var pruning: PruningSettings { gradual.pruning }

    public static let declarations: [SettingDeclaration<GraNetSettings>] =
        GMPSettings.declarations.map { $0.within(\.gradual) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) } + [
            .fraction(
                "initial_density", \.initialDensity,
                "The density before the first round: 1 starts dense, less prunes the initial weights by |w| to it."),
            .integer(
                "topk_buffer_bytes", \.topKBufferBytes, in: 16...(1 << 40),
                "The top-K search buffer of a client without a memory budget (others use what training leaves)."),
        ]

    /// The cubic schedule from `initial_density` at `start_round` to `density` at the last pruning step.
    /// - Throws: `FederationError` when the start is below the target or `end_round` leaves no step.
    public func cubicSchedule() throws -> CubicSchedule {
        guard initialDensity >= pruning.density else {
            throw FederationError(
                "granet: initial_density \(initialDensity) is below the target density \(pruning.density)")
        }
        return try gradual.schedule(from: initialDensity, method: "granet")
    }

    /// What the client half, FedTiny's training client, reads: the storage and the top-K buffer.
    var clientConfiguration: FedTinyConfiguration {
        FedTinyConfiguration(pruning: pruning, topKBufferBytes: topKBufferBytes)
    }
}

extension MethodDescriptor {
    /// GraNet: cubic gradual pruning on the server plus zero-initialised regrowth by clients' top-K gradients.
    public static let graNet = MethodDescriptor(
        name: "granet",
        summary:
            "GraNet (Liu et al., 2021): gradual magnitude pruning on the cubic schedule from dense (or initial_density) "
            + "plus, every delta rounds, a cosine-decayed prune-and-grow regrowing by clients' top-K gradients, at zero.",
        settings: GraNetSettings.self, trainingDensity: { $0.initialDensity },
        server: { try GraNetServer(setup: $0, settings: $1) },
        client: { try FedTinyClient(setup: $0, configuration: $1.clientConfiguration) })
}
