#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Golomb–Rice coding of the gaps between kept positions, the `DELTA_*` and `MASK_DELTA` layouts.
///
/// Positions `p0 < p1 < ...` become gaps `g0 = p0` and `gi = pi - p(i-1) - 1`, all >= 0. A gap `g`
/// with parameter `k` is its quotient `q = g >> k` in unary (`q` zero bits, then a one bit) and
/// then its `k` low bits, least significant first. Bits fill each byte from its least significant
/// bit up. For gaps from a random mask of density `d` (geometric, mean `(1 - d) / d`) the best `k`
/// is close to `log2(mean · ln 2)`, and the code then comes within a few percent of the mask's
/// entropy.
enum RiceCoding {
    /// The largest Rice parameter: positions are below 2^31, so no gap needs more low bits.
    static let maxParameter = 31

    /// The bits the gaps of `positions` take with parameter `k`.
    static func bitCount(_ positions: [Int32], parameter k: Int) -> Int {
        var total = positions.count * (k + 1)
        var previous = -1
        for position in positions {
            let value = Int(position)
            total += (value - previous - 1) >> k
            previous = value
        }
        return total
    }

    /// The parameter for `positions`: the estimate from the mean gap, or a neighbour of it when the
    /// gaps (which need not be geometric) take fewer bits with that one.
    static func parameter(_ positions: [Int32]) -> (parameter: Int, bits: Int) {
        guard let last = positions.last else { return (0, 0) }
        let meanGap = Double(Int(last) + 1 - positions.count) / Double(positions.count)
        // The Golomb modulus of a geometric source is about mean · ln 2; Rice rounds it to a power of 2.
        let modulus = meanGap * 0.693_147_180_559_945_3
        let estimate = modulus < 1 ? 0 : min(maxParameter, Int(log2(modulus).rounded()))
        let candidates = (max(0, estimate - 1)...min(maxParameter, estimate + 1))
        var best = (parameter: estimate, bits: Int.max)
        for k in candidates {
            let bits = bitCount(positions, parameter: k)
            if bits < best.bits { best = (k, bits) }
        }
        return best
    }

    /// Writes the gaps of `positions` with parameter `k` into `output`, which holds exactly
    /// `ceil(bitCount / 8)` bytes; the last byte's unused high bits are zero.
    static func write(_ positions: [Int32], parameter k: Int, into output: UnsafeMutableRawBufferPointer) {
        var writer = BitWriter(output)
        var previous = -1
        let lowMask = (1 << k) - 1
        for position in positions {
            let value = Int(position)
            let gap = value - previous - 1
            writer.writeZeros(gap >> k)
            writer.write(1 | (gap & lowMask) << 1, bitCount: k + 1)
            previous = value
        }
        writer.finish()
    }
}

/// Packs bits into bytes, least significant bit first, storing each byte once.
struct BitWriter {
    private let output: UnsafeMutableRawBufferPointer
    private var offset = 0
    private var buffer: UInt64 = 0
    private var pending = 0

    init(_ output: UnsafeMutableRawBufferPointer) {
        self.output = output
    }

    /// Appends the `bitCount` (at most 32) low bits of `value`.
    mutating func write(_ value: Int, bitCount: Int) {
        let bits = UInt64(truncatingIfNeeded: value) & ((1 << UInt64(bitCount)) &- 1)
        buffer |= bits << UInt64(pending)
        pending += bitCount
        if pending >= 32 { flushWord() }
    }

    /// Appends `count` zero bits.
    mutating func writeZeros(_ count: Int) {
        var remaining = count
        while remaining > 0 {
            let step = min(remaining, 32)
            pending += step
            remaining -= step
            if pending >= 32 { flushWord() }
        }
    }

    /// Stores the last, partial bytes.
    mutating func finish() {
        while pending > 0 {
            output[offset] = UInt8(truncatingIfNeeded: buffer)
            offset += 1
            buffer >>= 8
            pending = max(0, pending - 8)
        }
        precondition(offset == output.count, "Rice stream of \(offset) bytes in a \(output.count)-byte field")
    }

    private mutating func flushWord() {
        for _ in 0..<4 {
            output[offset] = UInt8(truncatingIfNeeded: buffer)
            offset += 1
            buffer >>= 8
        }
        pending -= 32
    }
}

/// Reads bits written by `BitWriter`, never past the end of its bytes.
struct BitReader {
    private let input: UnsafeRawBufferPointer
    private var offset: Int
    private let end: Int
    private var buffer: UInt64 = 0
    private var available = 0

    /// Reads `input[start..<end]`.
    init(_ input: UnsafeRawBufferPointer, start: Int, end: Int) {
        self.input = input
        offset = start
        self.end = end
    }

    /// Reads one Rice code with parameter `k`; `nil` when the bytes end first or its quotient
    /// passes `maxQuotient`, checked before the quotient is shifted so nothing can overflow.
    mutating func readRice(parameter k: Int, maxQuotient: Int) -> Int? {
        var quotient = 0
        while true {
            refill()
            if buffer != 0 {
                let zeros = buffer.trailingZeroBitCount
                quotient += zeros
                consume(zeros + 1)
                break
            }
            guard available > 0 else { return nil }
            quotient += available
            consume(available)
            guard quotient <= maxQuotient else { return nil }
        }
        guard quotient <= maxQuotient else { return nil }
        guard k > 0 else { return quotient }
        refill()
        guard available >= k else { return nil }
        let low = Int(truncatingIfNeeded: buffer & ((1 << UInt64(k)) - 1))
        consume(k)
        return quotient << k | low
    }

    /// Whether only the last byte's padding is left, and it is zero.
    var isAtZeroPadding: Bool {
        offset == end && available < 8 && buffer == 0
    }

    private mutating func refill() {
        while available <= 56, offset < end {
            buffer |= UInt64(input[offset]) << UInt64(available)
            offset += 1
            available += 8
        }
    }

    private mutating func consume(_ count: Int) {
        buffer = count >= 64 ? 0 : buffer >> UInt64(count)
        available -= count
    }
}
