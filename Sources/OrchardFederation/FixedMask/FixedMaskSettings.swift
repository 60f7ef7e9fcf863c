import OrchardPruning
import OrchardTensor

/// The settings of `fixed-mask`: the shared pruning settings and the criterion of the initial mask.
public struct FixedMaskSettings: SparseMethodSettings, Equatable {
    /// The criteria that score the initial weights.
    public enum CriterionName: String, Sendable, CaseIterable {
        case random, magnitude, snip, synflow, grasp
    }

    public var pruning = PruningSettings()
    /// How the initial weights are scored.
    public var criterion = CriterionName.random
    /// SynFlow's pruning rounds.
    public var synflowIterations = 100

    /// The defaults, with density 1.
    public init() {}

    /// The defaults at `density` with `criterion`.
    public init(density: Double, criterion: CriterionName = .random) {
        pruning.density = density
        self.criterion = criterion
    }

    public static let declarations: [SettingDeclaration<FixedMaskSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) } + [
            .choice("criterion", \.criterion, "How the initial weights are scored; the top ones are kept."),
            .integer(
                "synflow_iterations", \.synflowIterations, in: 1...1000,
                "SynFlow's pruning rounds, at densities d^(k/n)."),
        ]

    /// The criterion; SNIP and GraSP score on the server's small data set of `setup`.
    /// - Throws: `FederationError` for SNIP or GraSP when the run gives the server no data.
    func makeCriterion(_ setup: MethodSetup) throws -> Criterion {
        switch criterion {
        case .random: return .random(RandomStream(seed: setup.seed, purpose: "mask"))
        case .magnitude: return .magnitude
        case .synflow: return .synFlow(iterations: synflowIterations)
        case .snip: return .snip(try Self.scoringBatches(setup, criterion: .snip))
        case .grasp: return .grasp(try Self.scoringBatches(setup, criterion: .grasp), GraSPOptions())
        }
    }

    private static func scoringBatches(_ setup: MethodSetup, criterion: CriterionName) throws -> ScoringBatches {
        guard let data = setup.serverData, data.count > 0 else {
            throw FederationError(
                "criterion \(criterion.rawValue) scores on the server's data, and the run gives the server none")
        }
        return ScoringBatches(data, batchSize: max(1, data.count))
    }
}

extension MethodDescriptor {
    /// FedAvg over a mask chosen once at initialisation by a pruning criterion.
    public static let fixedMask = MethodDescriptor(
        name: "fixed-mask",
        summary: "FedAvg over a mask fixed at initialisation by a criterion (random, magnitude, SNIP, SynFlow, GraSP).",
        settings: FixedMaskSettings.self, trainingDensity: FixedMaskSettings.trainingDensity,
        server: { try FixedMaskServer(setup: $0, settings: $1) },
        client: { try FixedMaskClient(setup: $0, settings: $1) })
}
