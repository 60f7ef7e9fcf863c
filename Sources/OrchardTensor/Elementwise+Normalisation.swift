extension Elementwise {
    /// y = x * factor + offset.
    public static func scaleShift(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, factor: Float, offset: Float, count: Int
    ) {
        for i in 0..<count { y[i] = x[i] * factor + offset }
    }

    /// y = max(x * factor + offset, 0): batch norm and the rectifier after it in one pass.
    public static func scaleShiftRectified(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, factor: Float, offset: Float, count: Int
    ) {
        let (scale, shift) = (SIMD16<Float>(repeating: factor), SIMD16<Float>(repeating: offset))
        var i = 0
        while i &+ 16 <= count {
            let value = load(x + i) * scale + shift
            store(value.replacing(with: 0, where: value .<= 0), y + i)
            i &+= 16
        }
        while i < count {
            let value = x[i] * factor + offset
            y[i] = value > 0 ? value : 0
            i &+= 1
        }
    }

    /// y = max(x * factor + offset + residual, 0): a residual block's last batch norm, its
    /// shortcut addition and its rectifier in one pass.
    public static func scaleShiftAddRectified(
        _ x: UnsafePointer<Float>, _ residual: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        factor: Float, offset: Float, count: Int
    ) {
        let (scale, shift) = (SIMD16<Float>(repeating: factor), SIMD16<Float>(repeating: offset))
        var i = 0
        while i &+ 16 <= count {
            let value = load(x + i) * scale + shift + load(residual + i)
            store(value.replacing(with: 0, where: value .<= 0), y + i)
            i &+= 16
        }
        while i < count {
            let value = x[i] * factor + offset + residual[i]
            y[i] = value > 0 ? value : 0
            i &+= 1
        }
    }

    /// The batch-norm input gradient: dx = factor * (dy - meanGradient - (x - mean) * slope).
    public static func normalisationGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, mean: Float,
        factor: Float, meanGradient: Float, slope: Float, count: Int
    ) {
        for i in 0..<count { dx[i] = factor * (dy[i] - meanGradient - (x[i] - mean) * slope) }
    }

    /// The batch-norm input gradient behind a fused rectifier: as `normalisationGradient` with dy
    /// replaced by 0 where the forward pass's x * forwardFactor + forwardOffset was not positive.
    ///
    /// Recomputing the mask from x, with the forward pass's operations, gives the rectifier's mask
    /// exactly and saves reading the rectified output.
    public static func maskedNormalisationGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, mean: Float,
        forwardFactor: Float, forwardOffset: Float, factor: Float, meanGradient: Float, slope: Float, count: Int
    ) {
        let (forwardScale, forwardShift) = (
            SIMD16<Float>(repeating: forwardFactor), SIMD16<Float>(repeating: forwardOffset)
        )
        let scale = SIMD16<Float>(repeating: factor)
        let (centre, steep) = (SIMD16<Float>(repeating: mean), SIMD16<Float>(repeating: slope))
        let meanVector = SIMD16<Float>(repeating: meanGradient)
        var i = 0
        while i &+ 16 <= count {
            let value = load(x + i)
            let g = load(dy + i).replacing(with: 0, where: value * forwardScale + forwardShift .<= 0)
            store(scale * (g - meanVector - (value - centre) * steep), dx + i)
            i &+= 16
        }
        while i < count {
            let g = x[i] * forwardFactor + forwardOffset > 0 ? dy[i] : 0
            dx[i] = factor * (g - meanGradient - (x[i] - mean) * slope)
            i &+= 1
        }
    }
}
