/// How a task ended.
public enum ResultStatus: UInt32, Sendable, CaseIterable {
    /// The task ran; the metrics and tensors are its output.
    case ok = 1
    /// The task could not run, for example because it does not fit the memory budget.
    case refused = 2
    /// The task started and failed.
    case error = 3
}

/// The outcome of one task, sent by the client host.
public struct TaskResult: Sendable, Equatable {
    /// The id of the task.
    public var taskID: UInt64
    /// The logical client that ran it.
    public var clientID: UInt32
    /// How it ended.
    public var status: ResultStatus
    /// Why it was refused or failed; required unless the status is `ok`.
    public var reason: String
    /// Measurements: `samples`, `loss`, `accuracy`, `flops`, `peak_memory_bytes`, ...
    public var metrics: [String: Double]

    /// Creates a result.
    public init(
        taskID: UInt64, clientID: UInt32, status: ResultStatus = .ok, reason: String = "",
        metrics: [String: Double] = [:]
    ) {
        self.taskID = taskID
        self.clientID = clientID
        self.status = status
        self.reason = reason
        self.metrics = metrics
    }
}
