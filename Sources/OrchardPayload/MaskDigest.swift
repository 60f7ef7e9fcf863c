/// The 64-bit content digest that names a mask in `TensorPayload.maskUnchanged` (on the wire, a
/// `MASK_UNCHANGED` frame's `mask_digest`).
///
/// FNV-1a (64-bit) over the dense shape, each extent as a little-endian uint64, then the kept
/// positions, each as a little-endian uint32, in ascending order; a result of 0, which means "not
/// stated" on the wire, is written as 1. Equal masks of equal shapes have equal digests, so a
/// receiver can keep one copy of a mask that many devices hold and find it by digest.
public enum MaskDigest {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The digest of the mask of `shape` keeping `positions`.
    public static func of(shape: [Int], positions: [Int32]) -> UInt64 {
        var hash = offsetBasis
        for extent in shape { mix(UInt64(extent), bytes: 8, into: &hash) }
        for position in positions { mix(UInt64(UInt32(bitPattern: position)), bytes: 4, into: &hash) }
        return hash == 0 ? 1 : hash
    }

    /// Folds the low `bytes` bytes of `value`, least significant first, into `hash`.
    @inline(__always)
    private static func mix(_ value: UInt64, bytes: Int, into hash: inout UInt64) {
        var rest = value
        for _ in 0..<bytes {
            hash = (hash ^ (rest & 0xff)) &* prime
            rest >>= 8
        }
    }

    /// The digest as 16 hexadecimal digits, for messages.
    public static func hex(_ digest: UInt64) -> String {
        let digits = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
