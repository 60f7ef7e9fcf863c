import Foundation

/// One named tensor of a checkpoint's name table: where its values lie in the state buffer.
///
/// It mirrors `OrchardNN.ParameterEntry`, whose `kind` is stored by its raw value
/// (`weight`, `bias`, `runningMean`, ...), so that the store does not depend on the NN engine.
public struct CheckpointEntry: Codable, Hashable, Sendable {
    /// The parameter's name, such as `conv1.weight`.
    public var name: String
    /// The extent of each dimension, outermost first.
    public var shape: [Int]
    /// The parameter's kind, such as `weight` or `runningMean`.
    public var kind: String
    /// The offset of its first value in the state buffer, in values.
    public var offset: Int

    /// An entry of the name table.
    public init(name: String, shape: [Int], kind: String, offset: Int) {
        self.name = name
        self.shape = shape
        self.kind = kind
        self.offset = offset
    }

    /// The number of values: the product of the shape (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
}

/// The global state a checkpoint saves: the model's values, their name table, and the method's own state.
public struct CheckpointState: Sendable, Equatable {
    /// Where each named tensor lies in `values`.
    public var entries: [CheckpointEntry]
    /// The whole model as one contiguous Float32 buffer (a `ParameterArchive`'s values).
    public var values: [Float]
    /// The method's state beyond the model (masks, candidate pools, schedules), in its own encoding.
    public var extra: [UInt8]?

    /// A state to save.
    public init(entries: [CheckpointEntry], values: [Float], extra: [UInt8]? = nil) {
        self.entries = entries
        self.values = values
        self.extra = extra
    }

    /// The SHA-256 of the values' little-endian bytes: the `state_sha256` of a checkpoint.
    public var sha256: SHA256Digest { SHA256.hash(floats: values) }

    /// Why the name table does not fit the values, or `nil` when it does.
    ///
    /// Every entry needs a name, dimensions of zero or more, and a range of values inside the buffer.
    public var inconsistency: String? {
        var names = Set<String>()
        for entry in entries {
            guard !entry.name.isEmpty else { return "a name-table entry has an empty name" }
            guard names.insert(entry.name).inserted else { return "the name table lists '\(entry.name)' twice" }
            guard entry.shape.allSatisfy({ $0 >= 0 }), entry.offset >= 0 else {
                return "'\(entry.name)' has a negative dimension or offset"
            }
            let (end, overflow) = entry.offset.addingReportingOverflow(entry.count)
            guard !overflow, end <= values.count else {
                return "'\(entry.name)' (offset \(entry.offset), \(entry.count) values) runs past the "
                    + "\(values.count) values of the state"
            }
        }
        return nil
    }
}

/// A checkpoint read back from the store.
public struct Checkpoint: Sendable, Equatable {
    /// The run it belongs to.
    public var run: RunID
    /// The round after which the state was taken; a resumed run continues with the next round.
    public var round: Int
    /// The virtual clock at the end of that round, in seconds.
    public var simTime: Double
    /// The saved state.
    public var state: CheckpointState
    /// The SHA-256 of the state's values, in hexadecimal, as stored (and checked when read).
    public var stateSHA256: String
    /// When the checkpoint was written.
    public var createdAt: Date
}

/// A checkpoint's description without its blobs, for listings and reports.
public struct CheckpointInfo: Sendable, Equatable {
    /// The round after which the state was taken.
    public var round: Int
    /// The virtual clock at the end of that round, in seconds.
    public var simTime: Double
    /// The SHA-256 of the state's values, in hexadecimal.
    public var stateSHA256: String
    /// The number of Float32 values of the state.
    public var valueCount: Int
    /// The bytes of the method's extra state, or `nil` when there is none.
    public var extraBytes: Int?
    /// When the checkpoint was written.
    public var createdAt: Date
}

/// Conversions between Float32 buffers and the little-endian bytes a checkpoint blob holds.
enum FloatBytes {
    /// The values' IEEE 754 binary32 bytes, little-endian.
    static func data(_ values: [Float]) -> Data {
        #if _endian(little)
            values.withUnsafeBytes { Data($0) }
        #else
            values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        #endif
    }

    /// The values of little-endian binary32 bytes, or `nil` if the byte count is not a multiple of 4.
    static func floats(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        var values = [Float](repeating: 0, count: data.count / 4)
        values.withUnsafeMutableBytes { target in _ = data.copyBytes(to: target) }
        #if !_endian(little)
            values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #endif
        return values
    }
}

/// The JSON form of a name table, as the `checkpoints.names` column holds it.
enum NameTableJSON {
    /// A compact JSON array of `{"kind", "name", "offset", "shape"}` objects, keys sorted.
    static func encode(_ entries: [CheckpointEntry]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(entries), as: UTF8.self)
    }

    /// The entries of `text`.
    static func decode(_ text: String) throws -> [CheckpointEntry] {
        try JSONDecoder().decode([CheckpointEntry].self, from: Data(text.utf8))
    }
}
