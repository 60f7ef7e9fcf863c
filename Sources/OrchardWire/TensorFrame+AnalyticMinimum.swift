#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

extension TensorFrame {
    /// The fewest bytes any encoding could spend on this frame's content, for comparison with
    /// `byteLength`.
    ///
    /// Dense frames: the value bytes of every element (`4·N` for binary32, `2·N` for binary16).
    /// Sparse frames: the value bytes of the kept positions plus the entropy of the mask,
    /// `N·H(d)/8` with `d = kept/N` and `H` the binary entropy in bits. Masks: the entropy alone.
    /// `maskUnchanged`: 0. Frame headers and the envelope are not included.
    public var analyticMinimumBytes: Double {
        switch encoding {
        case .denseF32, .denseF16:
            Double(elementCount * (encoding.valueByteCount ?? 4))
        case .maskUnchanged:
            0
        case .bitmapF32, .bitmapF16, .deltaF32, .deltaF16, .maskBitmap, .maskDelta:
            Self.analyticMinimumBytes(
                elements: elementCount, kept: keptCount ?? 0, valueByteCount: encoding.valueByteCount ?? 0)
        }
    }

    /// The analytic minimum of `kept` of `elements` positions with `valueByteCount` bytes per kept
    /// value (0 for a mask): `kept · valueByteCount + elements · H(kept / elements) / 8`.
    public static func analyticMinimumBytes(elements: Int, kept: Int, valueByteCount: Int) -> Double {
        guard elements > 0 else { return 0 }
        let density = Double(kept) / Double(elements)
        return Double(kept * valueByteCount) + Double(elements) * binaryEntropy(density) / 8
    }

    /// The binary entropy `H(d) = -d·log2(d) - (1-d)·log2(1-d)` in bits, 0 at `d` = 0 and 1.
    public static func binaryEntropy(_ density: Double) -> Double {
        guard density > 0, density < 1 else { return 0 }
        return -density * log2(density) - (1 - density) * log2(1 - density)
    }
}
