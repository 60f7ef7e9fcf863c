import OrchardNN

/// The clients' masks of a LotteryFL server as bytes, for the state a checkpoint keeps.
///
/// Layout, little-endian: per client heard from, in id order, its id (UInt32), the byte length
/// (UInt32) of its masks and the masks as `MaskArchive` writes them (empty for a dense client).
enum LotteryFLMasks {
    /// The bytes of `masks`, each client's weights ordered as `network` lists its parameters.
    static func encode(_ masks: [Int: [String: [Int32]]], order network: Network) -> [UInt8] {
        var writer = ArchiveWriter()
        for client in masks.keys.sorted() {
            let archive = MaskArchive.encode(masks[client] ?? [:], order: network)
            writer.word(UInt32(truncatingIfNeeded: client))
            writer.word(UInt32(archive.count))
            writer.bytes += archive
        }
        return writer.bytes
    }

    /// The masks in `bytes`, each checked against the weights clients prune.
    /// - Throws: `ArchiveError` for bytes that end early; `FederationError` for a mask of a weight
    ///   that is not pruned or positions that do not ascend within its shape.
    static func decode(_ bytes: [UInt8], shapes: [String: [Int]], prunable: Set<String>) throws
        -> [Int: [String: [Int32]]]
    {
        var reader = ArchiveReader(bytes: bytes, what: "a checkpoint's LotteryFL masks")
        var masks: [Int: [String: [Int32]]] = [:]
        while reader.offset < bytes.count {
            let client = Int(try reader.word())
            let archive = try reader.take(Int(try reader.word()))
            let decoded = try MaskArchive.decode(archive)
            for (name, kept) in decoded {
                guard prunable.contains(name), let shape = shapes[name] else {
                    throw FederationError("lotteryfl: the checkpoint holds a mask of '\(name)' for client \(client)")
                }
                let total = shape.reduce(1, *)
                guard zip(kept, kept.dropFirst()).allSatisfy({ $0 < $1 }),
                    kept.allSatisfy({ $0 >= 0 && Int($0) < total })
                else {
                    throw FederationError(
                        "lotteryfl: client \(client)'s mask of '\(name)' in the checkpoint is not ascending within \(total)"
                    )
                }
            }
            masks[client] = decoded
        }
        return masks
    }
}
