/// The name of a kind of task, such as `train`.
///
/// An open set rather than an enum: each federated method defines the tasks it asks of clients,
/// and adding a method must not change the protocol. The constants are the tasks Orchard's
/// methods use today.
public struct TaskKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The name as it travels on the wire.
    public let rawValue: String

    /// Creates a task kind from its wire name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates a task kind from a literal wire name.
    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// Local training on the client's data; the result carries the updated weights.
    public static let train: TaskKind = "train"
    /// Loss and accuracy of the sent model on the client's data.
    public static let evaluate: TaskKind = "evaluate"
    /// Batch-norm statistics of candidate models on the client's data (FedTiny, first step).
    public static let bnStatistics: TaskKind = "bn_statistics"
    /// Scores of candidate models on the client's data (FedTiny, second step).
    public static let scoreCandidates: TaskKind = "score_candidates"
    /// The largest gradients at pruned positions, found under a memory bound (FedTiny).
    public static let topKGradients: TaskKind = "top_k_gradients"
}

/// Work for one logical client, sent by the coordinator.
public struct TaskAssignment: Sendable, Equatable {
    /// The task's id, unique in the run; the result repeats it.
    public var taskID: UInt64
    /// The logical client that runs the task.
    public var clientID: UInt32
    /// What to do.
    public var kind: TaskKind
    /// The architecture, by its model-zoo name.
    public var model: String
    /// Numeric settings such as the learning rate, epochs and batch size.
    public var hyperparameters: [String: Double]
    /// Other settings, such as the pruning criterion.
    public var settings: [String: String]
    /// The wall-clock budget in milliseconds; 0 means the coordinator's default.
    public var timeoutMilliseconds: UInt32

    /// Creates a task.
    public init(
        taskID: UInt64, clientID: UInt32, kind: TaskKind, model: String = "",
        hyperparameters: [String: Double] = [:], settings: [String: String] = [:],
        timeoutMilliseconds: UInt32 = 0
    ) {
        self.taskID = taskID
        self.clientID = clientID
        self.kind = kind
        self.model = model
        self.hyperparameters = hyperparameters
        self.settings = settings
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
