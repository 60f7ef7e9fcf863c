import OrchardNN

/// The masks of a pruned global model as bytes, for the method state a checkpoint keeps.
///
/// A resumed run restores the masks before the checkpoint's values, so that values at positions a
/// method grew after the start are not cut by the initial mask. Layout, little-endian: per pruned
/// weight, the name's UTF-8 length (UInt32) and bytes, the kept count (UInt32), then the kept flat
/// positions (Int32 each), in the network's parameter order.
public enum MaskArchive {
    /// The bytes of `masks`, ordered as `network` lists its parameters.
    public static func encode(_ masks: [String: [Int32]], order network: Network) -> [UInt8] {
        var writer = ArchiveWriter()
        for named in network.parameters {
            guard let kept = masks[named.name] else { continue }
            writer.text(named.name)
            writer.word(UInt32(kept.count))
            for position in kept { writer.word(UInt32(bitPattern: position)) }
        }
        return writer.bytes
    }

    /// The masks in `bytes`.
    /// - Throws: `ArchiveError` when the bytes end early or hold a name that is not UTF-8.
    public static func decode(_ bytes: [UInt8]) throws -> [String: [Int32]] {
        var masks: [String: [Int32]] = [:]
        var reader = ArchiveReader(bytes: bytes, what: "a checkpoint's masks")
        while reader.offset < bytes.count {
            let name = try reader.text()
            let count = Int(try reader.word())
            // One read of the whole run (a count below 2^32 cannot overflow): a damaged count fails
            // here rather than allocating.
            let run = try reader.take(count * 4)
            masks[name] = (0..<count).map { index in
                Int32(bitPattern: (0..<4).reduce(0) { $0 | UInt32(run[index * 4 + $1]) << (8 * UInt32($1)) })
            }
        }
        return masks
    }
}
