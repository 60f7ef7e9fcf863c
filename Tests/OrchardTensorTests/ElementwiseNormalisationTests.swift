import Testing

@testable import OrchardTensor

@Suite("Batch-norm kernels against naive Double sums")
struct ElementwiseNormalisationTests {
    /// Lengths ending inside, at and past a vector of 16, and past one block of 1,024.
    static let counts = [1, 15, 16, 33, 1024, 2_500]

    private func values(_ count: Int, seed: UInt64, offset: Float = 0) -> [Float] {
        var random = RandomStream(seed: seed)
        return (0..<count).map { _ in Float(random.nextNormal()) + offset }
    }

    @Test(arguments: counts)
    func shiftedMoments(count: Int) {
        let x = values(count, seed: 1, offset: 3)
        let shift = x[0]
        let moments = x.withUnsafeBufferPointer {
            Elementwise.blockedShiftedMoments($0.baseAddress!, shift: shift, count: count)
        }
        let sum = x.reduce(0.0) { $0 + Double($1 - shift) }
        let squares = x.reduce(0.0) { $0 + Double($1 - shift) * Double($1 - shift) }
        // Float32 lanes over at most 64 terms each: relative error about 1e-6; 1e-5 leaves margin.
        #expect(abs(moments.sum - sum) <= 1e-5 * max(1, x.reduce(0.0) { $0 + abs(Double($1 - shift)) }))
        #expect(abs(moments.squares - squares) <= 1e-5 * max(1, squares))
    }

    @Test(arguments: counts)
    func maskedGradientSums(count: Int) {
        let (x, dy) = (values(count, seed: 2), values(count, seed: 4))
        let (mean, factor, offset): (Float, Float, Float) = (0.2, 1.5, -0.25)
        let sums = x.withUnsafeBufferPointer { x in
            dy.withUnsafeBufferPointer {
                Elementwise.blockedMaskedGradientSums(
                    x.baseAddress!, $0.baseAddress!, mean: mean, factor: factor, offset: offset, count: count)
            }
        }
        var (gradient, weighted, magnitude) = (0.0, 0.0, 0.0)
        for i in 0..<count where x[i] * factor + offset > 0 {
            gradient += Double(dy[i])
            weighted += Double(dy[i]) * Double(x[i] - mean)
            magnitude += abs(Double(dy[i])) * abs(Double(x[i] - mean)) + abs(Double(dy[i]))
        }
        // Float32 partial sums: error relative to the sum of magnitudes about 1e-6; 1e-5 leaves margin.
        #expect(abs(sums.gradient - gradient) <= 1e-5 * max(1, magnitude))
        #expect(abs(sums.weighted - weighted) <= 1e-5 * max(1, magnitude))
    }

    @Test(arguments: counts)
    func rectifiedMapsAndMaskedGradient(count: Int) {
        let (x, r, dy) = (values(count, seed: 5), values(count, seed: 6), values(count, seed: 7))
        let zeros = [Float](repeating: 0, count: count)
        var (y, sum, dx) = (zeros, zeros, zeros)
        let (factor, offset, mean): (Float, Float, Float) = (1.5, -0.25, 0.1)
        let (meanGradient, slope): (Float, Float) = (0.05, 0.3)
        Elementwise.scaleShiftRectified(x, &y, factor: factor, offset: offset, count: count)
        Elementwise.scaleShiftAddRectified(x, r, &sum, factor: factor, offset: offset, count: count)
        Elementwise.maskedNormalisationGradient(
            x, dy, &dx, mean: mean, forwardFactor: factor, forwardOffset: offset, factor: 0.75,
            meanGradient: meanGradient, slope: slope, count: count)
        for i in 0..<count {
            // Elementwise in Float32, each value rounded a few times: 1e-5 absolute at these magnitudes.
            let value = Double(x[i]) * Double(factor) + Double(offset)
            #expect(abs(Double(y[i]) - max(value, 0)) < 1e-5)
            #expect(abs(Double(sum[i]) - max(value + Double(r[i]), 0)) < 1e-5)
            let g = y[i] > 0 ? Double(dy[i]) : 0
            let expected = 0.75 * (g - Double(meanGradient) - Double(x[i] - mean) * Double(slope))
            #expect(abs(Double(dx[i]) - expected) < 1e-5)
        }
    }
}
