import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardWire

/// The binary16 conversions the protocol states (`docs/protocol.md` section 2), spelled out bit by
/// bit: round to nearest, ties to even, in every range; NaNs made quiet keeping the top 9 payload
/// bits; binary16 to binary32 exact.
enum ReferenceBinary16 {
    /// The binary16 bit pattern nearest to `value`, ties to even.
    static func bits(from value: Float) -> UInt16 {
        let word = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (word >> 16) & 0x8000)
        let exponent = Int((word >> 23) & 0xff)
        let mantissa = word & 0x7f_ffff
        if exponent == 0xff {
            return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1f { return sign | 0x7c00 }
        if halfExponent <= 0 {
            guard halfExponent >= -10 else { return sign }
            let significand = mantissa | 0x80_0000
            return sign | UInt16(truncatingIfNeeded: roundedShift(significand, by: UInt32(14 - halfExponent)))
        }
        let combined = UInt32(halfExponent) << 23 | mantissa
        return sign | UInt16(truncatingIfNeeded: roundedShift(combined, by: 13))
    }

    /// The binary32 value of a binary16 bit pattern.
    static func float(fromBits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | mantissa << 13)
        }
    }

    private static func roundedShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        return remainder > half || (remainder == half && truncated & 1 == 1) ? truncated + 1 : truncated
    }
}

@Suite("Binary16 conversion")
struct Binary16Tests {
    /// Every binary16 pattern, sent in a `DENSE_F16` frame, widens to the binary32 pattern the
    /// reference gives.
    ///
    /// A signalling NaN comes out quiet (IEEE 754 conversion), its payload kept; no sender writes
    /// one, since narrowing makes every NaN quiet.
    @Test func widensEveryPatternExactly() throws {
        let patterns = Array(UInt16.min...UInt16.max)
        let bytes = patterns.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        let frame = try TensorFrame(name: "w", shape: [patterns.count], encoding: .denseF16, payload: FrameBytes(bytes))
        var mismatches: [UInt16] = []
        for (bits, value) in zip(patterns, try frame.values()) {
            let reference = ReferenceBinary16.float(fromBits: bits).bitPattern
            let isSignalling = bits & 0x7c00 == 0x7c00 && bits & 0x3ff != 0 && bits & 0x200 == 0
            if value.bitPattern != (isSignalling ? reference | 0x40_0000 : reference) { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(8))")
    }

    /// Dense and sparse frames narrow, as the reference does, every binary32 value that rounds to
    /// a binary16 value or a neighbour of it.
    ///
    /// Around each binary16 value: the value itself, the midpoints to its neighbours (ties), one
    /// binary32 step either side of each midpoint, and NaNs of every payload binary16 holds.
    @Test func narrowsAroundEveryPatternAsTheReference() throws {
        let probes = (UInt16.min...UInt16.max).flatMap(Self.probes(around:))
        let expected = probes.map(ReferenceBinary16.bits(from:))
        let dense = try TensorFrame(
            name: "w", payload: .dense(Tensor(shape: [probes.count], values: probes)), precision: .float16)
        let written = dense.payload.bytes
        let denseMismatches = expected.indices.filter {
            UInt16(written[2 * $0]) | UInt16(written[2 * $0 + 1]) << 8 != expected[$0]
        }
        #expect(denseMismatches.isEmpty, "first mismatches: \(denseMismatches.prefix(8).map { probes[$0].bitPattern })")
        // Every other position kept, so that the frame stays sparse.
        let positions = probes.indices.map { Int32(2 * $0) }
        let sparse = try TensorFrame(
            name: "w", payload: .sparse(shape: [2 * probes.count], indices: positions, values: probes),
            precision: .float16)
        guard case .sparse(_, _, let values) = try sparse.decodedPayload() else {
            Issue.record("not sparse: \(sparse.encoding)")
            return
        }
        let widened = expected.map { ReferenceBinary16.float(fromBits: $0).bitPattern }
        #expect(values.map(\.bitPattern) == widened)
    }

    @Test func specialValues() throws {
        let cases: [(Float, UInt16)] = [
            (0, 0x0000), (-0.0, 0x8000), (1, 0x3c00), (-2, 0xc000), (65504, 0x7bff), (65519.99, 0x7bff),
            (65520, 0x7c00), (.infinity, 0x7c00), (-.infinity, 0xfc00), (0x1p-14, 0x0400), (0x1p-24, 0x0001),
            (0x1p-25, 0x0000), (0x1.000002p-25, 0x0001), (0x1.8p-24, 0x0002), (1 + 0x1p-11, 0x3c00),
            (1 + 0x1.8p-10, 0x3c02), (.leastNonzeroMagnitude, 0x0000), (Float(bitPattern: 0x7f80_2001), 0x7e01),
        ]
        let frame = try TensorFrame(
            name: "w", payload: .dense(Tensor(shape: [cases.count], values: cases.map(\.0))), precision: .float16)
        let written = frame.payload.bytes
        for (index, (value, bits)) in cases.enumerated() {
            #expect(ReferenceBinary16.bits(from: value) == bits, "\(value)")
            #expect(UInt16(written[2 * index]) | UInt16(written[2 * index + 1]) << 8 == bits, "\(value)")
        }
    }

    private static func probes(around bits: UInt16) -> [Float] {
        let value = ReferenceBinary16.float(fromBits: bits)
        guard value.isFinite else {
            // Infinities, and each NaN payload binary16 can hold, with and without low payload bits
            // that narrowing drops (infinity with low bits alone is a NaN that must stay one).
            return [value, Float(bitPattern: value.bitPattern | 0x1fff)]
        }
        var result = [value]
        // The next binary16 value up in magnitude, or 65520 (the overflow threshold) past the largest.
        let next = bits & 0x7fff == 0x7bff ? (value < 0 ? -65520 : 65520) : ReferenceBinary16.float(fromBits: bits + 1)
        if next.isFinite {
            let midpoint = (value + next) / 2
            result += [midpoint, midpoint.nextUp, midpoint.nextDown]
        }
        return result
    }
}
