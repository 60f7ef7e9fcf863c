extension Elementwise {
    /// Values per block of the blocked reductions: Float32 lanes sum a block, Double sums the blocks.
    ///
    /// A block of 1,024 keeps each lane's Float32 sum to 64 terms (relative error about 4e-6 at
    /// worst), and the Double total of the blocks is exact enough for any batch Orchard runs.
    static let block = 1024

    /// The sum of `count` values, in Double.
    public static func blockedSum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        blocked(count) { start, end in
            var lanes = SIMD16<Float>()
            var i = start
            while i &+ 16 <= end {
                lanes += load(x + i)
                i &+= 16
            }
            var total = lanes.sum()
            while i < end {
                total += x[i]
                i &+= 1
            }
            return total
        }
    }

    /// The sum of (x - mean)^2 over `count` values, in Double.
    public static func blockedSquaredDeviations(_ x: UnsafePointer<Float>, mean: Float, count: Int) -> Double {
        blocked(count) { start, end in
            var lanes = SIMD16<Float>()
            let centre = SIMD16<Float>(repeating: mean)
            var i = start
            while i &+ 16 <= end {
                let deviation = load(x + i) - centre
                lanes += deviation * deviation
                i &+= 16
            }
            var total = lanes.sum()
            while i < end {
                total += (x[i] - mean) * (x[i] - mean)
                i &+= 1
            }
            return total
        }
    }

    /// The sums of dy and of dy * (x - mean) over `count` values, in Double.
    public static func blockedGradientSums(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, mean: Float, count: Int
    ) -> (gradient: Double, weighted: Double) {
        var gradient = 0.0
        let weighted = blocked(count) { start, end in
            var plain = SIMD16<Float>()
            var lanes = SIMD16<Float>()
            let centre = SIMD16<Float>(repeating: mean)
            var i = start
            while i &+ 16 <= end {
                let g = load(dy + i)
                plain += g
                lanes += g * (load(x + i) - centre)
                i &+= 16
            }
            var plainTotal = plain.sum()
            var total = lanes.sum()
            while i < end {
                plainTotal += dy[i]
                total += dy[i] * (x[i] - mean)
                i &+= 1
            }
            gradient += Double(plainTotal)
            return total
        }
        return (gradient, weighted)
    }

    /// y = x * factor + offset.
    public static func scaleShift(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, factor: Float, offset: Float, count: Int
    ) {
        for i in 0..<count { y[i] = x[i] * factor + offset }
    }

    /// The batch-norm input gradient: dx = factor * (dy - meanGradient - (x - mean) * slope).
    public static func normalisationGradient(
        _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, mean: Float,
        factor: Float, meanGradient: Float, slope: Float, count: Int
    ) {
        for i in 0..<count { dx[i] = factor * (dy[i] - meanGradient - (x[i] - mean) * slope) }
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
