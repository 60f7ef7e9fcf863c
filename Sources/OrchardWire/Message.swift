/// The version of the wire protocol this build speaks.
public enum ProtocolVersion {
    /// The version written into every envelope, and the only one accepted.
    public static let current: UInt32 = 1
}

/// What a message is; the `Kind` enum of `Protos/orchard.proto`.
public enum MessageKind: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    /// A client host introduces itself and its logical clients.
    case hello = 1
    /// The coordinator accepts a host into the run.
    case welcome = 2
    /// The coordinator gives one logical client work.
    case task = 3
    /// A client host reports the outcome of a task.
    case result = 4
    /// Either side shows it is alive.
    case heartbeat = 5
    /// Either side reports a rejected message or a failure.
    case error = 6
    /// The coordinator ends the run.
    case shutdown = 7

    /// Whether messages of this kind may carry tensor frames; only tasks and results do.
    public var carriesTensors: Bool { self == .task || self == .result }

    /// The name used in `docs/protocol.md` and in error texts, such as `task`.
    public var description: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .task: "task"
        case .result: "result"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .shutdown: "shutdown"
        }
    }
}

/// The kind-specific content of a message: the `body` of the envelope.
public enum MessageBody: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case task(TaskAssignment)
    case result(TaskResult)
    case heartbeat(Heartbeat)
    case error(ErrorReport)
    case shutdown(Shutdown)

    /// The kind this body belongs to.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .task: .task
        case .result: .result
        case .heartbeat: .heartbeat
        case .error: .error
        case .shutdown: .shutdown
        }
    }
}

/// One protocol message: envelope fields, a body, and the tensors that travel after it.
public struct Message: Sendable, Equatable {
    /// The run the message belongs to; 0 before the welcome names it.
    public var runID: UInt64
    /// The round of a task or result; 0 for messages outside rounds.
    public var round: UInt32
    /// The kind-specific content.
    public var body: MessageBody
    /// The tensors, each sent as its own frame after the envelope, in this order.
    public var tensors: [TensorFrame]

    /// Creates a message.
    public init(runID: UInt64 = 0, round: UInt32 = 0, body: MessageBody, tensors: [TensorFrame] = []) {
        self.runID = runID
        self.round = round
        self.body = body
        self.tensors = tensors
    }

    /// The message's kind, from its body.
    public var kind: MessageKind { body.kind }

    /// The logical client a task or result concerns, for byte accounting; `nil` for messages
    /// about a whole host or the run.
    public var clientID: UInt32? {
        switch body {
        case .task(let task): task.clientID
        case .result(let result): result.clientID
        case .hello, .welcome, .heartbeat, .error, .shutdown: nil
        }
    }

    /// The first tensor with the given name.
    public func tensor(named name: String) -> TensorFrame? {
        tensors.first { $0.name == name }
    }
}
