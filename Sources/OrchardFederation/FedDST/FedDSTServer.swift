import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedDST (Bibikar et al., AAAI'22) as FedPruning runs it: the server half.
///
/// The initial mask keeps the largest |w| at the planned layer densities (ERK by default). Every
/// `delta` rounds until `t_end` the round is an adjustment: each client moves
/// `int(f(t) · active)` of its own weights (`FedDSTClient`) with the cosine fraction f. The server
/// averages position by position over the clients that keep each position (masked averaging),
/// takes the union (logical OR) of their masks, and prunes each layer back to its planned count by
/// the magnitude of the averaged weights.
public final class FedDSTServer: ServerMethod {
    let model: SparseGlobalModel
    let schedule: AdjustmentSchedule
    let settings: FedDSTSettings

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: FedDSTSettings) throws {
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning)
        schedule = settings.schedule
        self.settings = settings
    }

    /// The kept positions of each pruned weight, by name.
    public var masks: [String: [Int32]] { model.masks }

    /// The planned kept count of each pruned weight, by name.
    public var targetCounts: [String: Int] { model.targetCounts }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        guard schedule.adjusts(round: round) else { return model.tasks(round: round, clients: clients, kind: .train) }
        let extra = [
            "adjust_fraction": schedule.fraction(round: round),
            "adjust_epochs": Double(settings.adjustEpochs),
        ]
        return model.tasks(round: round, clients: clients, kind: .adjust, extra: extra)
    }

    /// The state sent back; in an adjustment round the client moves weights within each layer.
    public func contract(for task: ClientTask) -> ResultContract {
        .returningState(of: task, masksMayMove: task.kind == .adjust)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let weighted = try SparseGlobalModel.weighted(results, round: round)
        guard !weighted.isEmpty else { return }
        var (values, union) = try model.average(weighted)
        let reduced = try Self.prune(union: union, values: &values, shapes: model.shapes, targets: model.targetCounts)
        try model.assign(values: values, masks: reduced, round: round)
    }

    /// Prunes each union mask back to its target count by the magnitude of the averaged values,
    /// which are zeroed where pruned; a mask at or below its target is kept as it is.
    static func prune(
        union: [String: [Int32]], values: inout [String: [Float]], shapes: [String: [Int]], targets: [String: Int]
    ) throws -> [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for (name, kept) in union {
            guard let shape = shapes[name], let target = targets[name], let average = values[name] else {
                throw FederationError("the union mask names '\(name)', which the model does not prune")
            }
            guard kept.count > target else {
                result[name] = kept
                continue
            }
            let weights = Tensor(shape: shape, values: average, role: .workspace)
            let change = PruneAndGrow.pruneOnly(
                TensorMask(shape: shape, activeIndices: kept), weights: weights, count: kept.count - target)
            values[name] = weights.values
            result[name] = change.mask.activeIndices
        }
        return result
    }
}
