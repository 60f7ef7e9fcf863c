import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor

/// Reads the pruning settings shared by the sparse methods from a method's setup.
///
/// Keys: `density` (the target), `distribution` (`erk`, `er`, `uniform` or `global`), `budget`
/// (`all`: the density counts every trained parameter, as FedPruning does; `prunable`: only the
/// prunable weights), `prune_first_layer` (1 or 0), `storage` (`automatic`, `compact`, `masked`).
public enum PruningSettings {
    /// The plan the settings describe.
    public static func plan(_ setup: MethodSetup) throws -> PruningPlan {
        let allocation: MaskAllocation
        switch try setup.choice("distribution") {
        case "global": allocation = .global(minimum: LayerMinimum(fraction: 0, count: 1))
        case let word:
            guard let distribution = DensityDistribution(rawValue: word) else {
                throw FederationError("unknown distribution '\(word)'")
            }
            allocation = .layerwise(distribution)
        }
        return PruningPlan(
            density: try setup.setting("density"),
            budget: try setup.choice("budget") == "prunable" ? .overPrunableParameters : .overAllParameters,
            allocation: allocation,
            selection: PrunableSelection(includeFirstLayer: (setup.settings["prune_first_layer"] ?? 1) != 0))
    }

    /// How clients hold pruned weights.
    public static func storage(_ setup: MethodSetup) -> SparseStorage {
        setup.choices["storage"].flatMap(SparseStorage.init(rawValue:)) ?? .automatic
    }

    /// The criterion named by `criterion`; SNIP and GraSP score on the server's small data set.
    public static func criterion(_ setup: MethodSetup) throws -> Criterion {
        switch try setup.choice("criterion") {
        case "random": return .random(RandomStream(seed: setup.seed, purpose: "mask"))
        case "magnitude": return .magnitude
        case "synflow": return .synFlow(iterations: Int(setup.settings["synflow_iterations"] ?? 100))
        case "snip": return .snip(try scoringBatches(setup, criterion: "snip"))
        case "grasp": return .grasp(try scoringBatches(setup, criterion: "grasp"), GraSPOptions())
        case let other: throw FederationError("unknown criterion '\(other)'")
        }
    }

    private static func scoringBatches(_ setup: MethodSetup, criterion: String) throws -> ScoringBatches {
        guard let data = setup.serverData, data.count > 0 else {
            throw FederationError(
                "criterion \(criterion) scores on the server's data, and the run gives the server none")
        }
        return ScoringBatches(data, batchSize: max(1, data.count))
    }
}
