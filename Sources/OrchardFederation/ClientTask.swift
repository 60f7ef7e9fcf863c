import OrchardPayload
import OrchardTensor

/// A tensor with the parameter name it belongs to, in the form it travels: dense, sparse (kept
/// positions and their values), a mask alone, or a note that a mask is unchanged.
///
/// Copies share one box, so a payload a method hands to many clients in a round is one object,
/// which the coordinator encodes once.
public struct NamedTensor {
    public let name: String
    private let box: PayloadBox

    /// A dense tensor.
    public init(name: String, tensor: Tensor) {
        self.init(name: name, payload: .dense(tensor))
    }

    /// Any payload.
    public init(name: String, payload: TensorPayload) {
        self.name = name
        box = PayloadBox(payload)
    }

    /// What travels.
    public var payload: TensorPayload { box.payload }

    /// The identity of the shared payload, the same for every copy of this value.
    public var payloadIdentity: ObjectIdentifier { ObjectIdentifier(box) }

    /// The dense values: the tensor itself, or a sparse payload scattered into zeros.
    /// - Throws: `FederationError` for a mask, which has no values.
    public func denseTensor() throws -> Tensor {
        switch payload {
        case .dense(let tensor): return tensor
        case .sparse(let shape, let indices, let values):
            let dense = Tensor(zeros: shape, role: .data)
            for (index, value) in zip(indices, values) { dense[Int(index)] = value }
            return dense
        case .mask, .maskUnchanged:
            throw FederationError("tensor '\(name)' is a mask and has no values")
        }
    }

    /// The dense shape.
    public var shape: [Int] { payload.shape }

    /// Whether it carries values (dense or sparse), not only a mask.
    public var hasValues: Bool {
        switch payload {
        case .dense, .sparse: return true
        case .mask, .maskUnchanged: return false
        }
    }
}

/// A payload behind a reference, so that copies of a `NamedTensor` share it.
private final class PayloadBox {
    let payload: TensorPayload
    init(_ payload: TensorPayload) { self.payload = payload }
}

/// What a client is asked to do in a round: a kind, settings and the tensors it needs.
public struct ClientTask {
    /// What a task asks a client to do; the raw value is the name that travels on the wire.
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Local training; the result carries the trained state.
        case train
        /// Local training that also changes or reports on the mask (the dynamic-mask methods).
        case adjust
        /// Batch-norm statistics of candidate models on the client's validation split (FedTiny).
        case batchNormStatistics = "bn_stats"
        /// Loss and correct count of candidate models on the client's validation split (FedTiny).
        case score

        /// The name on the wire.
        public var description: String { rawValue }

        /// The kind named `name` on the wire.
        /// - Throws: `FederationError` naming the kinds there are, for any other name.
        public init(wireName name: String) throws {
            guard let kind = Kind(rawValue: name) else {
                let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw FederationError("unknown task kind '\(name)'; known kinds: \(known)")
            }
            self = kind
        }
    }

    public var client: Int
    public var round: Int
    /// What to do.
    public var kind: Kind
    /// Numeric settings of this task (learning rate, epochs, ...).
    public var settings: [String: Double]
    public var tensors: [NamedTensor]
    /// How the values of the tensors travel: the run's value precision, which the coordinator
    /// sets on every task it sends; a method leaves it alone.
    public var precision: ValuePrecision = .float32

    public init(client: Int, round: Int, kind: Kind, settings: [String: Double] = [:], tensors: [NamedTensor] = []) {
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
    /// The kind of the task this answers.
    public var kind: ClientTask.Kind
    public var outcome: TaskOutcome
    public var reason: String
    /// Figures such as `samples`, `loss`, `flops` and `peak_memory_bytes`.
    public var metrics: [String: Double]
    public var tensors: [NamedTensor]

    public init(
        client: Int, round: Int, kind: ClientTask.Kind, outcome: TaskOutcome = .ok, reason: String = "",
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
    public func tensor(named name: String) throws -> NamedTensor {
        guard let found = tensors.first(where: { $0.name == name }) else {
            throw FederationError("the \(kind) result of client \(client) in round \(round) lacks tensor '\(name)'")
        }
        return found
    }
}

/// A method could not do what was asked; the description says what and where.
public struct FederationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
