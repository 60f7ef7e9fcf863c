import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedTiny-Clean, the FedTiny that FedPruning ships: the server half.
///
/// The initial mask keeps the largest |w| of the initial weights at the planned layer densities
/// (FedPruning's default `ERK_magnitude`). Rounds train the sparse model. Every `delta` rounds
/// until `t_end` the round is an adjustment: clients train (`adjustment_epochs` if set) and also
/// send the dense gradient of every tensor (`FedTinyCleanClient`); the server averages the weights
/// over the clients keeping each position, averages the gradients by samples, and per layer
/// prunes the `int(f(t) · active)` smallest |w| and grows as many positions of largest |g|, f the
/// cosine fraction. Grown weights start at zero, which the library forgets.
///
/// The library's modes 0 and 1 differ only in whether the mask is sent; here the positions of
/// the pruned weights travel with every download, so every non-adjustment round is the same.
public final class FedTinyCleanServer: ServerMethod {
    let model: SparseGlobalModel
    let schedule: AdjustmentSchedule
    let settings: FedTinyCleanSettings

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: FedTinyCleanSettings) throws {
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning, gradientUpload: settings.gradientUpload)
        schedule = settings.schedule
        self.settings = settings
    }

    /// The kept positions of each pruned weight, by name.
    public var masks: [String: [Int32]] { model.masks }

    /// The planned kept count of each pruned weight, by name.
    public var targetCounts: [String: Int] { model.targetCounts }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        let extra = settings.adjustmentEpochs > 0 ? ["epochs": Double(settings.adjustmentEpochs)] : [:]
        return model.tasks(round: round, clients: clients, schedule: schedule, extra: extra)
    }

    /// The state sent back, and in an adjustment round the dense gradient statistics.
    public func contract(for task: ClientTask) -> ResultContract {
        model.contract(for: task)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateGrowingByScores(round: round, results: results, schedule: schedule)
    }
}
