extension Elementwise {
    /// Values per block of the blocked reductions: Float32 lanes sum a block, Double sums the blocks.
    ///
    /// A block of 1,024 keeps each lane's Float32 sum to 64 terms (relative error about 4e-6 at
    /// worst), and the Double total of the blocks is exact enough for any batch Orchard runs.
    static let block = 1024

    /// The sums of (x - shift) and of (x - shift)^2 over `count` values, in Double, in one pass.
    ///
    /// Batch norm takes its mean and variance from these: with `shift` near the mean (a value of
    /// the same channel), var = (squares - sum^2 / n) / n loses little to cancellation, unlike
    /// the raw E[x^2] - E[x]^2, and one pass reads the activations once instead of twice.
    public static func blockedShiftedMoments(_ x: UnsafePointer<Float>, shift: Float, count: Int)
        -> (sum: Double, squares: Double)
    {
        var sum = 0.0
        let squares = blocked(count) { start, end in
            var plain = SIMD16<Float>()
            var lanes = SIMD16<Float>()
            let centre = SIMD16<Float>(repeating: shift)
            var i = start
            while i &+ 16 <= end {
                let deviation = load(x + i) - centre
                plain += deviation
                lanes += deviation * deviation
                i &+= 16
            }
            var plainTotal = plain.sum()
            var total = lanes.sum()
            while i < end {
                plainTotal += x[i] - shift
                total += (x[i] - shift) * (x[i] - shift)
                i &+= 1
            }
            sum += Double(plainTotal)
            return total
        }
        return (sum, squares)
    }

    /// The sums of dy and of dy * (x - mean) over `count` values, in Double.
    public static func blockedGradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, mean: Float, count: Int
    ) -> (gradient: Double, weighted: Double) {
        gradientSums(x, mean: mean, count: count, vector: { load(dy + $0) }, scalar: { dy[$0] })
    }

    /// `blockedGradientSums` of g = dy where `rectified` is positive and 0 elsewhere, with g
    /// written into `masked`: a rectifier's backward (as `reluBackward`) and the batch norm's sums
    /// before it in one pass.
    public static func blockedRectifiedGradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, rectified: UnsafePointer<Float>,
        masked: UnsafeMutablePointer<Float>, mean: Float, count: Int
    ) -> (gradient: Double, weighted: Double) {
        gradientSums(
            x, mean: mean, count: count,
            vector: { i in
                let g = load(dy + i).replacing(with: 0, where: load(rectified + i) .<= 0)
                store(g, masked + i)
                return g
            },
            scalar: { i in
                let g = rectified[i] > 0 ? dy[i] : 0
                masked[i] = g
                return g
            })
    }

    /// The sums of g and of g * (x - mean) over `count` values, in Double, g read a vector at a
    /// time by `vector(i)` and one value at a time by `scalar(i)`.
    @inline(__always)
    private static func gradientSums(
        _ x: UnsafePointer<Float>, mean: Float, count: Int, vector: (Int) -> SIMD16<Float>, scalar: (Int) -> Float
    ) -> (gradient: Double, weighted: Double) {
        var gradient = 0.0
        let weighted = blocked(count) { start, end in
            var plain = SIMD16<Float>()
            var lanes = SIMD16<Float>()
            let centre = SIMD16<Float>(repeating: mean)
            var i = start
            while i &+ 16 <= end {
                let g = vector(i)
                plain += g
                lanes += g * (load(x + i) - centre)
                i &+= 16
            }
            var plainTotal = plain.sum()
            var total = lanes.sum()
            while i < end {
                let g = scalar(i)
                plainTotal += g
                total += g * (x[i] - mean)
                i &+= 1
            }
            gradient += Double(plainTotal)
            return total
        }
        return (gradient, weighted)
    }

    /// The sums of g and of g * (x - mean) over `count` values, in Double, where g is dy where
    /// x * factor + offset is positive and 0 elsewhere: batch norm's sums behind a fused rectifier,
    /// whose mask this recomputes from x rather than reading the rectified output.
    public static func blockedMaskedGradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, mean: Float, factor: Float, offset: Float, count: Int
    ) -> (gradient: Double, weighted: Double) {
        var gradient = 0.0
        let weighted = blocked(count) { start, end in
            var plain = SIMD16<Float>()
            var lanes = SIMD16<Float>()
            let centre = SIMD16<Float>(repeating: mean)
            let (scale, shift) = (SIMD16<Float>(repeating: factor), SIMD16<Float>(repeating: offset))
            var i = start
            while i &+ 16 <= end {
                let value = load(x + i)
                let g = load(dy + i).replacing(with: 0, where: value * scale + shift .<= 0)
                plain += g
                lanes += g * (value - centre)
                i &+= 16
            }
            var plainTotal = plain.sum()
            var total = lanes.sum()
            while i < end {
                let g = x[i] * factor + offset > 0 ? dy[i] : 0
                plainTotal += g
                total += g * (x[i] - mean)
                i &+= 1
            }
            gradient += Double(plainTotal)
            return total
        }
        return (gradient, weighted)
    }

    private static func blocked(_ count: Int, _ body: (Int, Int) -> Float) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let end = min(start &+ block, count)
            total += Double(body(start, end))
            start = end
        }
        return total
    }
}
