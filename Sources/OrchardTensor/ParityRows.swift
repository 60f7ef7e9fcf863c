/// The vector loops of `ParityGeometry`: rows split by parity and joined again, and the max pool
/// over four output phases and its backward selects.
enum ParityRows {
    typealias Vector = SIMD16<Float>

    /// Writes `count` values of a row, the even ones to `even` and the odd ones to `odd`.
    ///
    /// Sixteen values (or eight) at a time, the last chunk overlapping the one before rather than
    /// a scalar tail; an odd row's last value, which no pair holds, alone.
    @inline(__always)
    static func deinterleave(
        _ source: UnsafePointer<Float>, _ even: UnsafeMutablePointer<Float>, _ odd: UnsafeMutablePointer<Float>,
        count: Int
    ) {
        if count >= 16 {
            var i = 0
            while i < count - 1 {
                i = min(i, (count - 16) & ~1)
                let values = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
                store(values.evenHalf, even + i / 2)
                store(values.oddHalf, odd + i / 2)
                i += 16
            }
        } else if count >= 8 {
            for i in [0, (count - 8) & ~1] {
                let values = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self)
                store(values.evenHalf, even + i / 2)
                store(values.oddHalf, odd + i / 2)
            }
        } else {
            for t in 0..<count / 2 { (even[t], odd[t]) = (source[2 * t], source[2 * t + 1]) }
        }
        if count % 2 == 1 { even[count / 2] = source[count - 1] }
    }

    /// The inverse of `deinterleave`: `count` values into `target` from their even and odd halves.
    @inline(__always)
    static func interleave(
        _ even: UnsafePointer<Float>, _ odd: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int
    ) {
        if count >= 16 {
            var i = 0
            while i < count - 1 {
                i = min(i, (count - 16) & ~1)
                let (a, b) = (load(SIMD8<Float>.self, even + i / 2), load(SIMD8<Float>.self, odd + i / 2))
                UnsafeMutableRawPointer(target + i).storeBytes(
                    of: Vector(lowHalf: a, highHalf: b).pairsInterleaved, as: Vector.self)
                i += 16
            }
        } else if count >= 8 {
            for i in [0, (count - 8) & ~1] {
                let (a, b) = (load(SIMD4<Float>.self, even + i / 2), load(SIMD4<Float>.self, odd + i / 2))
                UnsafeMutableRawPointer(target + i).storeBytes(
                    of: SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]), as: SIMD8<Float>.self)
            }
        } else {
            for t in 0..<count / 2 { (target[2 * t], target[2 * t + 1]) = (even[t], odd[t]) }
        }
        if count % 2 == 1 { target[count - 1] = even[count / 2] }
    }

    /// Pools `length` windows (a multiple of 16) whose four phases are runs `phaseStride` apart.
    ///
    /// Adds the shift, writes each maximum after the ReLU into phase 0's run and each winner into
    /// `codes` (`maxima`; 4 also where `invalid` holds 0xFF).
    @inline(__always)
    static func poolRun(
        _ line: UnsafeMutablePointer<Float>, phaseStride: Int, shift: Float, length: Int,
        codes: UnsafeMutableRawPointer, invalid: UnsafeRawPointer
    ) {
        let shifts = SIMD8<Float>(repeating: shift)
        var j = 0
        while j < length {
            let (best, code) = maxima(
                load(SIMD8<Float>.self, line + j) + shifts, load(SIMD8<Float>.self, line + phaseStride + j) + shifts,
                load(SIMD8<Float>.self, line + 2 * phaseStride + j) + shifts,
                load(SIMD8<Float>.self, line + 3 * phaseStride + j) + shifts)
            store(best, line + j)
            // Positions that are no window (0xFF in `invalid`) get 4: their dY is never selected.
            let mask = invalid.loadUnaligned(fromByteOffset: j, as: SIMD8<UInt8>.self)
            (codes + j).storeBytes(of: (code & ~mask) | (SIMD8(repeating: 4) & mask), as: SIMD8<UInt8>.self)
            j &+= 8
        }
    }

    /// The maxima after the ReLU of eight windows given their four positions in the max pool's
    /// scan order (top left, top right, bottom left, bottom right), and their winners: 0 to 3, the
    /// first of equal values, or 4 when the maximum is not positive.
    @inline(__always)
    static func maxima(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>)
        -> (SIMD8<Float>, SIMD8<UInt8>)
    {
        typealias Lanes = SIMD8<Int32>
        let (upperRight, lowerRight) = (b .> a, d .> c)
        let upper = a.replacing(with: b, where: upperRight)
        let lower = c.replacing(with: d, where: lowerRight)
        let below = lower .> upper
        let best = upper.replacing(with: lower, where: below)
        let dead = best .<= 0
        // The codes in integer arithmetic on the masks' lanes (-1 or 0): `replacing(with:where:)`
        // on integer lanes was compiled lane by lane.
        let (right, lowerRightBits) = (bits(upperRight) & 1, bits(lowerRight) & 1)
        let code = right &+ (bits(below) & (2 &+ lowerRightBits &- right))
        let deadBits = bits(dead)
        return (best.replacing(with: 0, where: dead), narrowed((code & ~deadBits) | (4 & deadBits)))
    }

    /// A comparison's mask as its lanes: -1 where true, 0 where false.
    @inline(__always)
    private static func bits(_ mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Int32> {
        unsafeBitCast(mask, to: SIMD8<Int32>.self)
    }

    /// Splits `length` gradients (a multiple of 16), held by the run of phase 3, into four phases.
    ///
    /// The runs of the phases are `phaseStride` apart; each value goes to its winner's phase (the
    /// winners' `codes`), zeros elsewhere. Returns the sum of the values that passed the ReLU.
    ///
    /// Eight lanes at a time (one AVX2 register), the comparisons' masks taken as their lanes'
    /// bits: sixteen lanes, and `replacing(with:where:)` with masks from integer comparisons,
    /// compiled to spills through the stack.
    @inline(__always)
    static func selectRun(
        _ line: UnsafeMutablePointer<Float>, phaseStride: Int, length: Int, codes: UnsafeRawPointer
    ) -> Float {
        typealias Lanes = SIMD8<Int32>
        var sum = SIMD8<Float>()
        var j = 0
        while j < length {
            let values = unsafeBitCast(load(SIMD8<Float>.self, line + 3 * phaseStride + j), to: Lanes.self)
            let code = widened((codes + j).loadUnaligned(as: SIMD8<UInt8>.self))
            for phase in 0..<4 {
                let mask = unsafeBitCast(code .== Lanes(repeating: Int32(phase)), to: Lanes.self)
                store(unsafeBitCast(values & mask, to: SIMD8<Float>.self), line + phase * phaseStride + j)
            }
            let passed = unsafeBitCast(code .< Lanes(repeating: 4), to: Lanes.self)
            sum += unsafeBitCast(values & passed, to: SIMD8<Float>.self)
            j &+= 8
        }
        return sum.sum()
    }

    /// The low byte of each lane, packed through four 64-bit words.
    ///
    /// `SIMD8<UInt8>(truncatingIfNeeded:)` stayed a call here, and the registers it spilled around
    /// it made the pooling loop take 60% longer.
    @inline(__always)
    static func narrowed(_ code: SIMD8<Int32>) -> SIMD8<UInt8> {
        let pairs = unsafeBitCast(code, to: SIMD4<UInt64>.self)
        let packed = (pairs | (pairs &>> 24)) & 0xFFFF
        return unsafeBitCast(
            packed[0] | packed[1] &<< 16 | packed[2] &<< 32 | packed[3] &<< 48, to: SIMD8<UInt8>.self)
    }

    /// Each byte as a lane of 32 bits.
    @inline(__always)
    static func widened(_ b: SIMD8<UInt8>) -> SIMD8<Int32> { SIMD8<Int32>(truncatingIfNeeded: b) }

    @inline(__always)
    private static func load<V: SIMD>(_: V.Type, _ pointer: UnsafePointer<Float>) -> V where V.Scalar == Float {
        UnsafeRawPointer(pointer).loadUnaligned(as: V.self)
    }

    @inline(__always)
    private static func load<V: SIMD>(_: V.Type, _ pointer: UnsafeMutablePointer<Float>) -> V
    where V.Scalar == Float {
        UnsafeRawPointer(pointer).loadUnaligned(as: V.self)
    }

    @inline(__always)
    private static func store<V: SIMD>(_ value: V, _ pointer: UnsafeMutablePointer<Float>) where V.Scalar == Float {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: V.self)
    }
}

extension SIMD16 where Scalar == Float {
    /// lowHalf and highHalf interleaved: l0, h0, l1, h1, ...
    @inline(__always)
    fileprivate var pairsInterleaved: SIMD16<Float> {
        SIMD16(
            self[0], self[8], self[1], self[9], self[2], self[10], self[3], self[11], self[4], self[12], self[5],
            self[13], self[6], self[14], self[7], self[15])
    }
}
