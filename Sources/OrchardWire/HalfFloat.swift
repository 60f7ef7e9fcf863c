/// Conversions between binary32 and IEEE 754 binary16, written out bit by bit.
///
/// Swift's `Float16` is missing on some platforms (macOS on Intel), and the protocol must state
/// the rounding exactly for peers in other languages, so the conversion is spelled out here:
/// round to nearest, ties to even, in every range.
///
/// Error bound of `bits(from:)` followed by `float(fromBits:)`, for a finite `x`:
/// * `|x| <= 65504` and `|x| >= 2^-14` (half's normal range): relative error at most `2^-11`;
/// * `|x| < 2^-14` (half's subnormal range): absolute error at most `2^-25`;
/// * `|x| >= 65520` becomes an infinity of the same sign (values in between round to 65504);
/// * infinities stay infinities; NaNs stay NaNs (quiet, with the top 9 payload bits kept);
///   signed zeros keep their sign.
public enum HalfFloat {
    /// The binary16 bit pattern nearest to `value`, ties to even.
    public static func bits(from value: Float) -> UInt16 {
        let word = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (word >> 16) & 0x8000)
        let exponent = Int((word >> 23) & 0xff)
        let mantissa = word & 0x7f_ffff
        if exponent == 0xff {
            // Infinity, or a NaN made quiet so that dropping payload bits cannot make it infinite.
            return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1f { return sign | 0x7c00 }
        if halfExponent <= 0 {
            // Below 2^-25 the value is nearer zero than the least subnormal (a tie goes to zero, which
            // is even); binary32 subnormals land here too.
            guard halfExponent >= -10 else { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - halfExponent)
            return sign | UInt16(truncatingIfNeeded: roundedShift(significand, by: shift))
        }
        // Rounding may carry into the exponent, up to infinity (0x7c00): both are the right results.
        let combined = UInt32(halfExponent) << 23 | mantissa
        return sign | UInt16(truncatingIfNeeded: roundedShift(combined, by: 13))
    }

    /// The binary32 value of a binary16 bit pattern; exact.
    public static func float(fromBits bits: UInt16) -> Float {
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

    /// `value >> shift`, rounded to nearest with ties to even; `shift` is 1 to 31.
    private static func roundedShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let half: UInt32 = 1 << (shift - 1)
        return remainder > half || (remainder == half && truncated & 1 == 1) ? truncated + 1 : truncated
    }
}
