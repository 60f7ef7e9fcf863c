import OrchardFederation
import OrchardPayload
import OrchardTensor
import OrchardWire

/// Why a result was not used: a code for the sender and a reason for the run's records.
struct Rejection: Error, Equatable, CustomStringConvertible {
    var code: ErrorCode
    var reason: String

    var description: String { reason }

    /// A result that does not fit its task.
    static func invalid(_ reason: String) -> Rejection { Rejection(code: .invalidResult, reason: reason) }
}

/// Checks a result against the task it answers, before any of it reaches the method.
///
/// Everything a host sends is untrusted: the envelope's ids must be the task's, every figure must
/// be finite and in its range, and the tensors must be exactly those the task's `ResultContract`
/// allows, in their shapes and masks, with finite values of bounded magnitude. A result that fails
/// any check is rejected as a whole, with the first problem found as its reason.
enum ResultValidation {
    /// What the answer to one task must match.
    struct Expectation {
        var runID: UInt64
        var round: Int
        var client: Int
        var kind: ClientTask.Kind
        var contract: ResultContract
        /// The client's training samples, the most a result may report.
        var shardSize: Int?
        /// The largest magnitude a value may have.
        var maxMagnitude: Float
    }

    /// The largest whole number a figure may count: beyond 2^53 a Double no longer holds every integer.
    static let largestCount = 9_007_199_254_740_992.0

    /// The result, or why it is rejected.
    static func validate(_ message: Message, body: TaskResult, expecting expected: Expectation)
        -> Result<ClientResult, Rejection>
    {
        do {
            try checkIdentity(message, body: body, expected)
            try checkMetrics(body.metrics, status: body.status, expected)
            var result = try TaskMessages.result(message, body: body, kind: expected.kind)
            result.reason = String(result.reason.prefix(500))
            if result.outcome == .ok {
                try checkTensors(result.tensors, expected.contract, maxMagnitude: expected.maxMagnitude)
            } else {
                result.tensors = []
            }
            return .success(result)
        } catch let rejection as Rejection {
            return .failure(rejection)
        } catch {
            return .failure(.invalid("its tensors do not decode: \(error)"))
        }
    }

    static func checkIdentity(_ message: Message, body: TaskResult, _ expected: Expectation) throws {
        guard message.runID == expected.runID else {
            throw Rejection.invalid("it names run \(message.runID), not run \(expected.runID)")
        }
        guard Int(message.round) == expected.round else {
            throw Rejection.invalid("it names round \(message.round), but the task is of round \(expected.round)")
        }
        guard Int(body.clientID) == expected.client else {
            throw Rejection.invalid("it names client \(body.clientID), but the task is client \(expected.client)'s")
        }
        if body.status != .ok && body.reason.isEmpty {
            throw Rejection.invalid("a \(body.status == .refused ? "refusal" : "failure") must give a reason")
        }
    }

    static func checkMetrics(_ metrics: [String: Double], status: ResultStatus, _ expected: Expectation) throws {
        for (name, value) in metrics.sorted(by: { $0.key < $1.key }) {
            guard value.isFinite else { throw Rejection.invalid("figure '\(name)' is \(value)") }
            if expected.contract.countMetrics.contains(name),
                !(value >= 0 && value <= largestCount && value.rounded() == value)
            {
                throw Rejection.invalid("figure '\(name)' is \(value), not a count")
            }
            if name == "accuracy", !(0...1).contains(value) {
                throw Rejection.invalid("accuracy \(value) is outside [0, 1]")
            }
            if (name == "loss" || name.hasPrefix("loss_") || name == "wall_seconds"), value < 0 {
                throw Rejection.invalid("figure '\(name)' is negative (\(value))")
            }
        }
        guard status == .ok else { return }
        for name in expected.contract.requiredMetrics.sorted() where metrics[name] == nil {
            throw Rejection.invalid("it lacks figure '\(name)'")
        }
        if let samples = metrics["samples"] {
            guard samples >= 1 else { throw Rejection.invalid("it reports \(samples) samples") }
            if let shard = expected.shardSize, samples > Double(shard) {
                throw Rejection.invalid("it reports \(samples) samples; client \(expected.client) has \(shard)")
            }
        }
    }

    static func checkTensors(_ tensors: [NamedTensor], _ contract: ResultContract, maxMagnitude: Float) throws {
        var seen = Set<String>()
        for tensor in tensors {
            guard seen.insert(tensor.name).inserted else {
                throw Rejection.invalid("it holds tensor '\(tensor.name)' twice")
            }
            guard let entry = contract.entry(named: tensor.name) else {
                throw Rejection.invalid("it holds tensor '\(tensor.name)', which the task does not ask for")
            }
            try check(tensor, against: entry.form)
            try checkValues(tensor, maxMagnitude: maxMagnitude)
        }
        if let missing = contract.entries.first(where: { $0.required && !seen.contains($0.name) }) {
            throw Rejection.invalid("it lacks tensor '\(missing.name)'")
        }
    }

    static func check(_ tensor: NamedTensor, against form: ResultContract.Form) throws {
        let name = tensor.name
        switch (form, tensor.payload) {
        case (.dense(let shape), .dense(let values)):
            guard values.shape == shape else {
                throw Rejection.invalid("tensor '\(name)' has shape \(values.shape); the task's is \(shape)")
            }
        case (.masked(let shape, let kept, _), .dense(let values)):
            let whole = shape.reduce(1, *)
            guard values.shape == [kept.count] || (values.shape == shape && kept.count == whole) else {
                throw Rejection.invalid(
                    "tensor '\(name)' has shape \(values.shape); the task sent \(kept.count) kept values of \(shape)")
            }
        case (.masked(let shape, let kept, let mayMove), .sparse(let sentShape, let indices, _)):
            guard sentShape == shape else {
                throw Rejection.invalid("tensor '\(name)' has shape \(sentShape); the task's is \(shape)")
            }
            if mayMove {
                guard indices.count <= kept.count else {
                    throw Rejection.invalid("tensor '\(name)' keeps \(indices.count) positions; at most \(kept.count)")
                }
            } else if indices != kept {
                throw Rejection.invalid("tensor '\(name)' moved the mask the task fixed")
            }
        case (.sparse(let shape, let atMost, let outside), .sparse(let sentShape, let indices, _)):
            guard sentShape == shape else {
                throw Rejection.invalid("tensor '\(name)' has shape \(sentShape); the task's is \(shape)")
            }
            guard indices.count <= atMost else {
                throw Rejection.invalid(
                    "tensor '\(name)' holds \(indices.count) positions; the task asked for \(atMost)")
            }
            if let shared = firstShared(indices, outside) {
                throw Rejection.invalid("tensor '\(name)' names position \(shared), which the mask keeps")
            }
        case (_, .mask), (_, .maskUnchanged):
            throw Rejection.invalid("tensor '\(name)' is a mask where values were expected")
        default:
            throw Rejection.invalid("tensor '\(name)' is \(describe(tensor.payload)), not \(describe(form))")
        }
    }

    /// The first position in both ascending lists, if any.
    static func firstShared(_ left: [Int32], _ right: [Int32]) -> Int32? {
        var (i, j) = (0, 0)
        while i < left.count && j < right.count {
            if left[i] == right[j] { return left[i] }
            if left[i] < right[j] { i += 1 } else { j += 1 }
        }
        return nil
    }

    static func checkValues(_ tensor: NamedTensor, maxMagnitude: Float) throws {
        func firstBad(_ values: UnsafeBufferPointer<Float>) -> (Int, Float)? {
            // `!(|v| <= limit)` is true for NaN as well as for values past the limit.
            for index in values.indices where !(abs(values[index]) <= maxMagnitude) { return (index, values[index]) }
            return nil
        }
        let bad: (Int, Float)?
        switch tensor.payload {
        case .dense(let values): bad = withExtendedLifetime(values) { firstBad(UnsafeBufferPointer(values.buffer)) }
        case .sparse(_, _, let values): bad = values.withUnsafeBufferPointer(firstBad)
        case .mask, .maskUnchanged: bad = nil
        }
        if let (index, value) = bad {
            throw Rejection.invalid(
                "tensor '\(tensor.name)' holds \(value) at value \(index); values must be finite and within ±\(maxMagnitude)"
            )
        }
    }

    static func describe(_ payload: TensorPayload) -> String {
        switch payload {
        case .dense: "dense"
        case .sparse: "sparse"
        case .mask: "a mask"
        case .maskUnchanged: "a mask reference"
        }
    }

    static func describe(_ form: ResultContract.Form) -> String {
        switch form {
        case .dense: "dense"
        case .masked: "values under the mask sent"
        case .sparse: "sparse"
        }
    }
}
