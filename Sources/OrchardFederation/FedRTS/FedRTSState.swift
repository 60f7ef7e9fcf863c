import OrchardNN

/// A FedRTS server's state beyond the model's values, as the bytes a checkpoint keeps.
///
/// Layout, little-endian: the byte length (UInt32) of the masks and the masks as `MaskArchive`
/// writes them; then per pruned weight, in the network's parameter order, its name (UTF-8 length
/// and bytes), its position count (UInt32) and per position `alpha` and `beta` (IEEE 754 binary64
/// bit patterns, UInt64 each).
enum FedRTSState {
    /// The bytes of `masks` and `posteriors`.
    static func encode(masks: [String: [Int32]], posteriors: [String: BetaPosteriors], order network: Network)
        -> [UInt8]
    {
        var writer = ArchiveWriter()
        let archive = MaskArchive.encode(masks, order: network)
        writer.word(UInt32(archive.count))
        writer.bytes += archive
        for named in network.parameters {
            guard let belief = posteriors[named.name] else { continue }
            writer.text(named.name)
            writer.word(UInt32(belief.alpha.count))
            for (alpha, beta) in zip(belief.alpha, belief.beta) {
                writer.long(alpha.bitPattern)
                writer.long(beta.bitPattern)
            }
        }
        return writer.bytes
    }

    /// The masks and posteriors in `bytes`, checked against the server's own posteriors (`expecting`):
    /// the same weights, counts and prior, every count finite and at least the prior.
    static func decode(_ bytes: [UInt8], expecting: [String: BetaPosteriors]) throws
        -> (masks: [String: [Int32]], posteriors: [String: BetaPosteriors])
    {
        var reader = ArchiveReader(bytes: bytes, what: "a checkpoint's FedRTS state")
        let masks = try MaskArchive.decode(try reader.take(Int(try reader.word())))
        var posteriors: [String: BetaPosteriors] = [:]
        while reader.offset < bytes.count {
            let name = try reader.text()
            let count = Int(try reader.word())
            guard var belief = expecting[name], belief.alpha.count == count else {
                throw FederationError(
                    "fedrts: the checkpoint holds \(count) posteriors of '\(name)', which the model does not prune so")
            }
            for position in 0..<count {
                belief.alpha[position] = Double(bitPattern: try reader.long())
                belief.beta[position] = Double(bitPattern: try reader.long())
                guard belief.alpha[position].isFinite, belief.beta[position].isFinite,
                    belief.alpha[position] >= belief.prior, belief.beta[position] >= belief.prior
                else {
                    throw FederationError("fedrts: the checkpoint's posterior of '\(name)' at \(position) is invalid")
                }
            }
            posteriors[name] = belief
        }
        guard Set(posteriors.keys) == Set(expecting.keys) else {
            throw FederationError("fedrts: the checkpoint lacks posteriors of some pruned weight")
        }
        return (masks, posteriors)
    }
}
