import OrchardFederation
import OrchardPayload
import OrchardWire

/// The masks a client host process holds, to resolve tasks that send a weight as values alone.
///
/// One entry per weight name: the positions the last task with that weight's positions brought,
/// with their `MaskDigest`. Every device the host serves shares it, and the next positions of the
/// same name replace it, so a host holds at most one mask per weight of the model, however many
/// clients it serves. The coordinator keeps the same table for each host connection (it sees the
/// same tasks in the same order), which is how it knows when a reference will resolve.
struct HostMaskCache {
    struct Entry {
        var digest: UInt64
        var shape: [Int]
        var positions: [Int32]
    }

    private(set) var entries: [String: Entry] = [:]

    /// The task's tensors from its frames: every sparse frame's positions are kept first (before
    /// anything can fail, so the table stays the coordinator's copy), then each values frame with a
    /// `mask:` reference becomes the sparse tensor it stands for.
    ///
    /// - Throws: `RuntimeError` naming the tensor and the client when a reference names a mask this
    ///   host does not hold, or its values do not fit it: never a silently wrong model.
    mutating func tensors(from frames: [TensorFrame], client: Int, round: Int) throws -> [NamedTensor] {
        let payloads = try TaskMessages.namedTensors(frames).map { (name: $0.name, payload: $0.payload) }
        for (name, payload) in payloads {
            guard case .sparse(let shape, let indices, _) = payload else { continue }
            entries[name] = Entry(
                digest: MaskDigest.of(shape: shape, positions: indices), shape: shape, positions: indices)
        }
        var references: [String: (shape: [Int], sinceRound: Int, digest: UInt64)] = [:]
        for (name, payload) in payloads {
            guard case .maskUnchanged(let shape, let since, let digest) = payload,
                let weight = MaskReference.weight(of: name)
            else { continue }
            references[weight] = (shape, since, digest)
        }
        var tensors: [NamedTensor] = []
        for (name, payload) in payloads {
            if let weight = MaskReference.weight(of: name), references[weight] != nil { continue }
            guard let reference = references[name] else {
                tensors.append(NamedTensor(name: name, payload: payload))
                continue
            }
            let place = "the task of client \(client) in round \(round): tensor '\(name)'"
            let mask = try resolve(reference, place: place)
            guard case .dense(let values) = payload, values.shape == [mask.count] else {
                throw RuntimeError(
                    "\(place) refers to a held mask of \(mask.count) positions, but its values frame has shape "
                        + "\(payload.shape)")
            }
            tensors.append(
                NamedTensor(name: name, payload: .sparse(shape: reference.shape, indices: mask, values: values.values)))
        }
        if let orphan = references.keys.sorted().first(where: { weight in !payloads.contains { $0.name == weight } }) {
            throw RuntimeError(
                "the task of client \(client) in round \(round): reference '\(MaskReference.name(for: orphan))' "
                    + "has no values frame '\(orphan)'")
        }
        return tensors
    }

    /// The positions of the held mask a reference names.
    private func resolve(_ reference: (shape: [Int], sinceRound: Int, digest: UInt64), place: String) throws
        -> [Int32]
    {
        guard let entry = entries.values.first(where: { $0.digest == reference.digest }),
            entry.shape == reference.shape
        else {
            throw MissingMaskError(
                description: "\(place) refers to mask \(MaskDigest.hex(reference.digest)) of shape "
                    + "\(reference.shape), held since round \(reference.sinceRound), which this host does not hold")
        }
        return entry.positions
    }
}

/// A task referred to a mask its host does not hold; the description names the tensor and client.
///
/// Only a host that restarted after the coordinator sent the task, and before its hello, can meet
/// one. Its error result carries the figure `metric`, and the coordinator sends the task again with
/// the positions.
struct MissingMaskError: Error, CustomStringConvertible {
    static let metric = "missing_mask"
    let description: String
}
