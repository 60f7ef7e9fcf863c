import Foundation
import OrchardPruning

/// The settings of `imp`: the target, how often and how much to prune, and the round to rewind to.
public struct IMPSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    /// Rounds between two pruning steps.
    ///
    /// The aggregations of rounds R, 2R, ... prune.
    public var pruneEvery = 3
    /// The fraction of the remaining weights each step prunes.
    public var pruneFraction = 0.4
    /// The round whose aggregated weights the kept weights are rewound to; 0 is the initialisation.
    public var rewindRound = 1

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density`.
    public init(density: Double) {
        self.init()
        pruning.density = density
    }

    public static let declarations: [SettingDeclaration<IMPSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) } + [
            .integer(
                "prune_every", \.pruneEvery, in: 1...1_000_000,
                "Rounds between pruning steps: the aggregations of rounds R, 2R, ... prune."),
            .number(
                "prune_fraction", \.pruneFraction, in: 0.01...0.99,
                "The fraction of the remaining weights each step prunes (by |w|), until the density is reached."),
            .integer(
                "rewind_round", \.rewindRound, in: 0...1_000_000,
                "The round whose aggregated weights kept weights are rewound to after each step; 0: the initial ones."),
        ]

    /// The density after the pruning step of `round`, or nil when `round` does not prune: step
    /// `k = round / R` keeps `max(density, (1 − fraction)^k)`, and once the target is reached no
    /// step prunes again.
    public func density(afterRound round: Int) -> Double? {
        guard round > 0, round % pruneEvery == 0 else { return nil }
        let step = round / pruneEvery
        let previous = pow(1 - pruneFraction, Double(step - 1))
        guard previous > pruning.density else { return nil }
        return max(pruning.density, previous * (1 - pruneFraction))
    }
}

extension MethodDescriptor {
    /// Federated iterative magnitude pruning with weight rewinding (the lottery ticket procedure).
    public static let imp = MethodDescriptor(
        name: "imp",
        summary:
            "Iterative magnitude pruning with rewinding (Frankle and Carbin, 2019; Frankle et al., 2020) in rounds: "
            + "every prune_every rounds the server prunes a fraction of the remaining weights by |w| and "
            + "rewinds the kept ones to their values after rewind_round.",
        settings: IMPSettings.self,
        server: { try IMPServer(setup: $0, settings: $1) },
        client: { try FixedMaskClient(setup: $0, storage: $1.pruning.storage) })
}
