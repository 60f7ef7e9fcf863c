import OrchardNN

/// The bytes of `DeviceMasks` in a checkpoint, and the checkpoint's `extra` blob that holds them
/// beside the method's own state.
///
/// Layout, little-endian: the number of distinct (weight, digest) pairs (uint32), each as the
/// name's UTF-8 length (uint32), its bytes and the digest (uint64); then the number of devices
/// (uint32), each as its id (uint32), its entry count (uint32) and per entry the pair's index
/// (uint32) and the round since which it is held (uint32). Devices ascend by id and entries by
/// name, so equal records give equal bytes.
extension DeviceMasks {
    /// The record's bytes.
    func encoded() -> [UInt8] {
        var pairs: [String: [UInt64: Int]] = [:]
        var pairBytes = ArchiveWriter()
        var pairCount = 0
        var devices = ArchiveWriter()
        devices.word(UInt32(held.count))
        for client in held.keys.sorted() {
            let entries = held[client]!.sorted { $0.key < $1.key }
            devices.word(UInt32(client))
            devices.word(UInt32(entries.count))
            for (name, entry) in entries {
                let index: Int
                if let known = pairs[name]?[entry.digest] {
                    index = known
                } else {
                    index = pairCount
                    pairs[name, default: [:]][entry.digest] = index
                    pairCount += 1
                    pairBytes.text(name)
                    pairBytes.long(entry.digest)
                }
                devices.word(UInt32(index))
                devices.word(UInt32(entry.sinceRound))
            }
        }
        var bytes = ArchiveWriter()
        bytes.word(UInt32(pairCount))
        return bytes.bytes + pairBytes.bytes + devices.bytes
    }

    /// The record in `bytes`.
    /// - Throws: `ArchiveError` when the bytes end early, hold a name that is not UTF-8 or are left
    ///   over; `RuntimeError` when a device names a pair that is not there.
    init(decoding bytes: [UInt8]) throws {
        var reader = ArchiveReader(bytes: bytes, what: "a checkpoint's device masks")
        let pairCount = Int(try reader.word())
        var pairs: [(name: String, digest: UInt64)] = []
        for _ in 0..<pairCount { pairs.append((try reader.text(), try reader.long())) }
        let deviceCount = Int(try reader.word())
        for _ in 0..<deviceCount {
            let client = Int(try reader.word())
            let entryCount = Int(try reader.word())
            for _ in 0..<entryCount {
                let index = Int(try reader.word())
                let since = Int(try reader.word())
                guard index < pairs.count else {
                    throw RuntimeError(
                        "a checkpoint's device masks: device \(client) names pair \(index) of \(pairs.count)")
                }
                setHeld(client: client, name: pairs[index].name, Held(digest: pairs[index].digest, sinceRound: since))
            }
        }
        try reader.finish()
    }
}

/// A checkpoint's `extra` blob: the method's state and the coordinator's device masks.
///
/// Layout: the 8 ASCII bytes `ORCHXTR1`, a uint8 that is 1 when the method has state, then that
/// state's length (uint64) and bytes, then the `DeviceMasks` bytes. A blob without the magic
/// (written before device masks were kept) is the method's state alone, and its devices hold
/// nothing: a resumed run then sends positions to every device once.
enum CheckpointExtra {
    static let magic = Array("ORCHXTR1".utf8)

    /// The blob of `method`'s state and `devices`; `nil` when neither holds anything.
    static func combine(method: [UInt8]?, devices: DeviceMasks) -> [UInt8]? {
        if method == nil && devices.held.isEmpty { return nil }
        var writer = ArchiveWriter()
        writer.bytes += magic
        writer.bytes.append(method == nil ? 0 : 1)
        writer.long(UInt64(method?.count ?? 0))
        writer.bytes += method ?? []
        writer.bytes += devices.encoded()
        return writer.bytes
    }

    /// The method's state and the device masks in `blob`.
    static func split(_ blob: [UInt8]?) throws -> (method: [UInt8]?, devices: DeviceMasks) {
        guard let blob, blob.starts(with: magic) else { return (blob, DeviceMasks()) }
        var reader = ArchiveReader(bytes: blob, what: "a checkpoint's extra state")
        reader.offset = magic.count
        let hasMethod = try reader.byte() == 1
        let declared = try reader.long()
        guard let length = Int(exactly: declared) else {
            throw RuntimeError("a checkpoint's extra state: the method's state claims \(declared) bytes")
        }
        let method = try reader.take(length)
        let devices = try DeviceMasks(decoding: Array(blob[reader.offset...]))
        return (hasMethod ? method : nil, devices)
    }
}
