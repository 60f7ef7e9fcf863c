import OrchardFederation
import OrchardPayload
import OrchardTensor
import OrchardWire

/// Encodes the tensors of a round's tasks into frames, once per shared payload.
///
/// A sparse tensor (kept positions and values, not every position kept) goes one of two ways:
/// with its positions, or, when the receiver already holds that mask, as its values alone plus a
/// `MASK_UNCHANGED` reference (`MaskReference`, `docs/protocol.md` section 2). Which one is the
/// caller's question: `frames(for:holds:)` asks it per tensor, so that the same task can be built
/// for a device (the bytes counted) and for the host process that serves it (the bytes sent).
struct TaskFrames {
    /// A sparse tensor of a task: its name, dense shape and mask digest.
    struct SparseEntry: Equatable {
        var name: String
        var shape: [Int]
        var digest: UInt64
    }

    private enum Form: Hashable { case whole, values }
    private struct Key: Hashable {
        var payload: ObjectIdentifier
        var form: Form
        var precision: Bool
    }

    private var frames: [Key: TensorFrame] = [:]
    private var digests: [ObjectIdentifier: UInt64] = [:]

    /// The sparse tensors of `task` that can travel as values alone, with their digests.
    mutating func sparseEntries(of task: ClientTask) -> [SparseEntry] {
        task.tensors.compactMap { named in
            guard case .sparse(let shape, let indices, _) = named.payload, indices.count != shape.reduce(1, *) else {
                return nil
            }
            let key = named.payloadIdentity
            let digest = digests[key] ?? MaskDigest.of(shape: shape, positions: indices)
            digests[key] = digest
            return SparseEntry(name: named.name, shape: shape, digest: digest)
        }
    }

    /// The task's frames; `holds(name, digest)` gives the round since which the receiver holds a
    /// sparse tensor's mask, or `nil` when it does not, and then the positions travel.
    mutating func frames(for task: ClientTask, holds: (String, UInt64) -> Int?) throws -> [TensorFrame] {
        let entries = Dictionary(uniqueKeysWithValues: sparseEntries(of: task).map { ($0.name, $0) })
        var result: [TensorFrame] = []
        result.reserveCapacity(task.tensors.count)
        for named in task.tensors {
            guard let entry = entries[named.name], let since = holds(entry.name, entry.digest) else {
                result.append(try frame(named, form: .whole, precision: task.precision))
                continue
            }
            result.append(try frame(named, form: .values, precision: task.precision))
            result.append(
                try TensorFrame(
                    name: MaskReference.name(for: named.name),
                    payload: .maskUnchanged(shape: entry.shape, sinceRound: since, digest: entry.digest)))
        }
        return result
    }

    /// The frame of a payload in one form, encoded once per payload, form and precision.
    private mutating func frame(_ named: NamedTensor, form: Form, precision: ValuePrecision) throws -> TensorFrame {
        let key = Key(payload: named.payloadIdentity, form: form, precision: precision == .float16)
        if let cached = frames[key], cached.name == named.name { return cached }
        let payload: TensorPayload
        switch (form, named.payload) {
        case (.values, .sparse(_, _, let values)):
            payload = .dense(Tensor(shape: [values.count], values: values, role: .data))
        default:
            payload = named.payload
        }
        let encoded = try TensorFrame(name: named.name, payload: payload, precision: precision)
        frames[key] = encoded
        return encoded
    }
}
