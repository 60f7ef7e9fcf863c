import OrchardFederation
import OrchardPayload

/// Which mask each device (logical client) holds, by weight name: the coordinator's record behind
/// the bytes it counts.
///
/// A device holds the last mask of a weight that it received (in a task it answered, even by
/// refusing) or sent (an upload with positions); a task that failed or never answered leaves what
/// it holds unknown, so its record is forgotten and the next task sends positions. The record
/// depends only on the tasks and results, never on which host process served a device, and a
/// checkpoint keeps it (`encoded()`), so the bytes counted are the same with any number of
/// processes and after a resume.
struct DeviceMasks: Equatable {
    /// A held mask: its digest and the round since which the device holds it.
    struct Held: Equatable {
        var digest: UInt64
        var sinceRound: Int
    }

    private(set) var held: [Int: [String: Held]] = [:]

    /// The round since which `client` holds the mask `digest` of `name`, or `nil`.
    func since(client: Int, name: String, digest: UInt64) -> Int? {
        guard let entry = held[client]?[name], entry.digest == digest else { return nil }
        return entry.sinceRound
    }

    /// Records that `client` holds `digest` for `name` from `round` on (or since earlier, when it
    /// already held it).
    mutating func record(client: Int, name: String, digest: UInt64, round: Int) {
        if held[client]?[name]?.digest == digest { return }
        held[client, default: [:]][name] = Held(digest: digest, sinceRound: round)
    }

    /// Sets what `client` holds of `name`, as a checkpoint recorded it.
    mutating func setHeld(client: Int, name: String, _ entry: Held) { held[client, default: [:]][name] = entry }

    /// Drops what `client` holds of `name`.
    mutating func remove(client: Int, name: String) {
        held[client]?[name] = nil
        if held[client]?.isEmpty == true { held[client] = nil }
    }

    /// Drops everything recorded of `client`.
    mutating func forget(client: Int) { held[client] = nil }

    /// Updates a device after its task: what it answered (`result`, `nil` when it did not) to a
    /// task that carried the sparse tensors `sent`.
    mutating func update(client: Int, round: Int, sent: [TaskFrames.SparseEntry], result: ClientResult?) {
        guard let result, result.outcome != .error else {
            forget(client: client)
            return
        }
        for entry in sent { record(client: client, name: entry.name, digest: entry.digest, round: round) }
        let shapes = Dictionary(uniqueKeysWithValues: sent.map { ($0.name, $0.shape) })
        for tensor in result.tensors {
            switch tensor.payload {
            case .sparse(let shape, let indices, _):
                record(
                    client: client, name: tensor.name, digest: MaskDigest.of(shape: shape, positions: indices),
                    round: round)
            case .dense(let values) where shapes[tensor.name] == values.shape:
                // The weight came back whole: the device holds no mask of it any more.
                remove(client: client, name: tensor.name)
            default:
                continue  // values alone: the mask it got still holds
            }
        }
    }
}
