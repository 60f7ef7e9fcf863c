import OrchardTensor

/// A tensor with the parameter name it belongs to.
public struct NamedTensor {
    public let name: String
    public let tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// What a client is asked to do in a round: a kind, settings and the tensors it needs.
public struct ClientTask {
    public var client: Int
    public var round: Int
    /// What to do, such as `train` or `evaluate`; methods define their own kinds.
    public var kind: String
    /// Numeric settings of this task (learning rate, epochs, ...).
    public var settings: [String: Double]
    public var tensors: [NamedTensor]

    public init(client: Int, round: Int, kind: String, settings: [String: Double] = [:], tensors: [NamedTensor] = []) {
        self.client = client
        self.round = round
        self.kind = kind
        self.settings = settings
        self.tensors = tensors
    }

    /// The setting `key`, or an error naming the task and the key when it is missing.
    public func setting(_ key: String) throws -> Double {
        guard let value = settings[key] else {
            throw FederationError("task \(kind) of client \(client) in round \(round) has no setting '\(key)'")
        }
        return value
    }
}

/// How a client's task ended.
public enum TaskOutcome: String, Sendable {
    /// The task ran and its result counts.
    case ok
    /// The client declined the task before running it (it would not fit its memory budget).
    case refused
    /// The task failed while running.
    case error
}

/// A client's answer to a task: its outcome, figures and tensors.
public struct ClientResult {
    public var client: Int
    public var round: Int
    public var kind: String
    public var outcome: TaskOutcome
    public var reason: String
    /// Figures such as `samples`, `loss`, `flops` and `peak_memory_bytes`.
    public var metrics: [String: Double]
    public var tensors: [NamedTensor]

    public init(
        client: Int, round: Int, kind: String, outcome: TaskOutcome = .ok, reason: String = "",
        metrics: [String: Double] = [:], tensors: [NamedTensor] = []
    ) {
        self.client = client
        self.round = round
        self.kind = kind
        self.outcome = outcome
        self.reason = reason
        self.metrics = metrics
        self.tensors = tensors
    }

    /// The tensor called `name`, or an error naming the client and the tensor.
    public func tensor(named name: String) throws -> Tensor {
        guard let found = tensors.first(where: { $0.name == name }) else {
            throw FederationError("the \(kind) result of client \(client) in round \(round) lacks tensor '\(name)'")
        }
        return found.tensor
    }
}

/// A method could not do what was asked; the description says what and where.
public struct FederationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
