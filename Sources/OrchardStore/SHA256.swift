/// The SHA-256 hash function of FIPS 180-4, fed incrementally.
///
/// Orchard hashes a model's state (its Float32 values as little-endian bytes) to name it in
/// reports and to compare models across runs; the digest of a checkpoint's `state` blob is the
/// same as `sha256sum` gives for those bytes written to a file.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(floats: values)
/// let hex = hasher.finalize().hex
/// ```
public struct SHA256: Sendable {
    /// The bytes of one block of the compression function.
    static let blockBytes = 64

    /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    /// The first 32 bits of the fractional parts of the square roots of the first 8 primes.
    static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    private var state = SHA256.initialState
    /// Bytes waiting for a whole block.
    private var pending: [UInt8] = []
    /// Every byte fed so far, for the length field of the padding.
    private var byteCount: UInt64 = 0

    /// A hasher that has seen no bytes yet.
    public init() {
        pending.reserveCapacity(Self.blockBytes)
    }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        byteCount &+= UInt64(bytes.count)
        var offset = 0
        if !pending.isEmpty {
            let taken = min(Self.blockBytes - pending.count, bytes.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
            offset = taken
            if pending.count == Self.blockBytes {
                let block = pending
                block.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: 1) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        let wholeBlocks = (bytes.count - offset) / Self.blockBytes
        if wholeBlocks > 0 {
            compress(blocks: base + offset, count: wholeBlocks)
            offset += wholeBlocks * Self.blockBytes
        }
        if offset < bytes.count {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset))
        }
    }

    /// Feeds the bytes of a collection, such as `[UInt8]`, `ArraySlice<UInt8>` or a string's UTF-8 view.
    public mutating func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Feeds every value of `floats` as its four IEEE 754 binary32 bytes, little-endian.
    public mutating func update(floats: [Float]) {
        #if _endian(little)
            floats.withUnsafeBytes { update($0) }
        #else
            // Swap in chunks so that a large model does not need a second full-size copy.
            let chunk = 4096
            var start = 0
            while start < floats.count {
                let end = min(start + chunk, floats.count)
                let swapped = floats[start..<end].map { $0.bitPattern.littleEndian }
                swapped.withUnsafeBytes { update($0) }
                start = end
            }
        #endif
    }

    /// Pads the message, processes the last blocks and returns the digest.
    public consuming func finalize() -> SHA256Digest {
        let bitLength = byteCount &* 8
        var tail = pending
        tail.append(0x80)
        // Zeros up to 8 bytes short of a block boundary, then the message length in bits, big-endian.
        let zeros = (Self.blockBytes - (tail.count + 8) % Self.blockBytes) % Self.blockBytes
        tail.append(contentsOf: repeatElement(0, count: zeros))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { compress(blocks: $0.baseAddress!, count: $0.count / Self.blockBytes) }
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in state {
            for shift in [24, 16, 8, 0] { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return SHA256Digest(bytes: digest)
    }

    /// The digest of `bytes`.
    public static func hash<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of the little-endian Float32 bytes of `floats`, as a checkpoint stores them.
    public static func hash(floats: [Float]) -> SHA256Digest {
        var hasher = SHA256()
        hasher.update(floats: floats)
        return hasher.finalize()
    }

    /// Runs the compression function over `count` consecutive 64-byte blocks at `blocks`.
    ///
    /// The masking shifts (`&>>`, `&<<`) and wrapping additions are transparent to the compiler,
    /// so that even a debug build hashes a model of tens of megabytes in reasonable time.
    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        var h0 = state[0]
        var h1 = state[1]
        var h2 = state[2]
        var h3 = state[3]
        var h4 = state[4]
        var h5 = state[5]
        var h6 = state[6]
        var h7 = state[7]
        Self.roundConstants.withUnsafeBufferPointer { constants in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                // `while` loops with wrapping counters, because range iteration is a call per
                // step in a debug build.
                var block = 0
                while block < count {
                    let words = blocks + block &* Self.blockBytes
                    var index = 0
                    while index < 16 {
                        schedule[index] = UInt32(
                            bigEndian: words.loadUnaligned(fromByteOffset: 4 &* index, as: UInt32.self))
                        index &+= 1
                    }
                    while index < 64 {
                        let early = schedule[index &- 15]
                        let late = schedule[index &- 2]
                        let sigma0 = rotate(early, 7) ^ rotate(early, 18) ^ (early &>> 3)
                        let sigma1 = rotate(late, 17) ^ rotate(late, 19) ^ (late &>> 10)
                        schedule[index] = schedule[index &- 16] &+ sigma0 &+ schedule[index &- 7] &+ sigma1
                        index &+= 1
                    }
                    var a = h0
                    var b = h1
                    var c = h2
                    var d = h3
                    var e = h4
                    var f = h5
                    var g = h6
                    var h = h7
                    index = 0
                    while index < 64 {
                        let sum1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
                        let choice = (e & f) ^ (~e & g)
                        let temporary1 = h &+ sum1 &+ choice &+ constants[index] &+ schedule[index]
                        let sum0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let temporary2 = sum0 &+ majority
                        h = g
                        g = f
                        f = e
                        e = d &+ temporary1
                        d = c
                        c = b
                        b = a
                        a = temporary1 &+ temporary2
                        index &+= 1
                    }
                    h0 &+= a
                    h1 &+= b
                    h2 &+= c
                    h3 &+= d
                    h4 &+= e
                    h5 &+= f
                    h6 &+= g
                    h7 &+= h
                    block &+= 1
                }
            }
        }
        state = [h0, h1, h2, h3, h4, h5, h6, h7]
    }
}

/// Rotates `value` right by `count` bits.
///
/// Transparent, so that it is inlined even in a debug build, where a call per rotation would make
/// hashing three times slower.
@_transparent
private func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value &>> count) | (value &<< (32 &- count))
}

/// The 32 bytes a SHA-256 hash gives.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The digest's bytes, most significant first.
    public let bytes: [UInt8]

    /// The digest as 64 lowercase hexadecimal digits, as `sha256sum` prints it.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * bytes.count)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The hexadecimal form.
    public var description: String { hex }
}
