import OrchardNN
import OrchardPruning
import OrchardTensor

/// PruneFL as FedPruning runs it: the server half.
///
/// The initial mask keeps the largest |w| at the planned layer densities (ERK by default).
/// Clients train the sparse model; every `delta` rounds until `t_end` they also accumulate the
/// squared gradient of every position over their local steps and send its mean, dense. The server
/// averages the weights over the clients keeping each position, averages the squared gradients
/// by samples into the importance I, and per layer prunes the `int(f(t) · active)` smallest |w|
/// and grows as many positions of largest I, f the cosine fraction; grown weights start at zero.
///
/// Unlike Jiang et al.'s PruneFL (TNNLS'22) there is no initial pruning on one client and no
/// selection by importance per unit of time: this is the library's RigL-like reading.
public final class PruneFLServer: ServerMethod {
    let model: SparseGlobalModel
    let schedule: AdjustmentSchedule
    let settings: PruneFLSettings

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: PruneFLSettings) throws {
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning, gradientUpload: settings.gradientUpload)
        schedule = settings.schedule
        self.settings = settings
    }

    /// The kept positions of each pruned weight, by name.
    public var masks: [String: [Int32]] { model.masks }

    /// The planned kept count of each pruned weight, by name.
    public var targetCounts: [String: Int] { model.targetCounts }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        model.tasks(round: round, clients: clients, schedule: schedule)
    }

    /// The state sent back, and in an adjustment round the dense gradient statistics.
    public func contract(for task: ClientTask) -> ResultContract {
        model.contract(for: task)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateGrowingByScores(round: round, results: results, schedule: schedule)
    }
}
