import OrchardPruning

/// The settings of `gmp`: the target and its spread, and the rounds of the cubic schedule.
public struct GMPSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    /// The round whose aggregation starts the schedule (`t0`); the model is dense until then.
    public var startRound = 2
    /// The last round that prunes; the model reaches the target density there.
    public var endRound = 15
    /// Rounds between two pruning steps (`Δt`).
    public var pruneEvery = 1

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) { pruning.density = density }

    public static let declarations: [SettingDeclaration<GMPSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) } + [
            .integer(
                "start_round", \.startRound, in: 0...1_000_000,
                "The round after whose aggregation the cubic schedule starts; the model is dense until then."),
            .integer(
                "end_round", \.endRound, in: 1...1_000_000,
                "The last round that prunes, after whose aggregation the model is at the target density."),
            .integer("prune_every", \.pruneEvery, in: 1...1_000_000, "Rounds between two pruning steps."),
        ]

    /// Zhu and Gupta's schedule over rounds: from `initialDensity` (dense by default) at
    /// `start_round` to the target at the last pruning step, `start_round + n·prune_every ≤ end_round`.
    /// - Throws: `FederationError`, naming `method`, when `end_round` does not leave one step after `start_round`.
    public func schedule(from initialDensity: Double = 1, method: String = "gmp") throws -> CubicSchedule {
        let steps = (endRound - startRound) / pruneEvery
        guard steps >= 1 else {
            throw FederationError(
                "\(method): end_round \(endRound) must be at least start_round + prune_every (\(startRound + pruneEvery))"
            )
        }
        return CubicSchedule(
            initialSparsity: 1 - initialDensity, finalSparsity: 1 - pruning.density, startStep: startRound,
            pruningSteps: steps, interval: pruneEvery)
    }
}

extension MethodDescriptor {
    /// Gradual magnitude pruning on the server between rounds, on Zhu and Gupta's cubic schedule.
    public static let gmp = MethodDescriptor(
        name: "gmp",
        summary:
            "Gradual magnitude pruning (Zhu and Gupta, 2017) on the server between rounds: dense until start_round, "
            + "then pruned by |w| on the cubic schedule to the density at end_round; clients train under the mask.",
        settings: GMPSettings.self,
        server: { try GMPServer(setup: $0, settings: $1) },
        client: { try FixedMaskClient(setup: $0, storage: $1.pruning.storage) })
}
