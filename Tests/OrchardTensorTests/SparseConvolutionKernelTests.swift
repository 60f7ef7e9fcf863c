import Testing

@testable import OrchardTensor

/// Checks the sparse convolution against the masked dense weight, computed naively in Double.
@Suite struct SparseConvolutionKernelTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let kernel: Int
        let stride: Int
        let padding: Int
        let height: Int
        let width: Int
        let batch: Int
        var testDescription: String { "k\(kernel) s\(stride) p\(padding) \(height)x\(width) batch \(batch)" }

        func geometry(channels: Int) -> ConvolutionGeometry {
            ConvolutionGeometry(
                channels: channels, height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                stride: stride, padding: padding)
        }
    }

    static let cases = [
        Case(kernel: 1, stride: 1, padding: 0, height: 5, width: 5, batch: 3),
        Case(kernel: 3, stride: 1, padding: 1, height: 5, width: 7, batch: 1),
        Case(kernel: 5, stride: 1, padding: 2, height: 7, width: 5, batch: 3),
        Case(kernel: 5, stride: 1, padding: 0, height: 9, width: 7, batch: 1),
        // Shared padding at its edges: samples of ResNet's smallest planes; outputs wider than the
        // image and its padding (Hq = Ho); an even window; padding wider than the window's reach.
        Case(kernel: 3, stride: 1, padding: 1, height: 4, width: 4, batch: 3),
        Case(kernel: 1, stride: 1, padding: 1, height: 3, width: 4, batch: 2),
        Case(kernel: 2, stride: 1, padding: 1, height: 5, width: 3, batch: 2),
        Case(kernel: 3, stride: 1, padding: 2, height: 4, width: 5, batch: 2),
        Case(kernel: 3, stride: 2, padding: 1, height: 7, width: 7, batch: 3),
        Case(kernel: 1, stride: 2, padding: 0, height: 7, width: 5, batch: 1),
        Case(kernel: 3, stride: 2, padding: 0, height: 9, width: 7, batch: 1),
        Case(kernel: 5, stride: 2, padding: 2, height: 7, width: 9, batch: 3),
    ]

    @Test(arguments: cases, [0.0, 0.05, 0.5, 1.0])
    func matchesMaskedDense(shape: Case, density: Double) {
        let (inputChannels, outputChannels) = (3, 4)
        let g = shape.geometry(channels: inputChannels)
        let (n, k, s, pad) = (shape.batch, shape.kernel, shape.stride, shape.padding)
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let patch = g.patchSize
        let pattern = SparseFixture.pattern(rows: outputChannels, columns: patch, density: density, seed: 21)
        let values = SparseFixture.values(pattern.count, seed: 21, purpose: "values")
        let weight = SparseFixture.dense(pattern, values)
        let input = SparseFixture.tensor([inputChannels, n, h, w], seed: 21, purpose: "input")
        let outputGradient = SparseFixture.tensor([outputChannels, n, ho, wo], seed: 21, purpose: "dY")
        let (x, dy) = (input.values.map(Double.init), outputGradient.values.map(Double.init))

        var y = [Double](repeating: 0, count: outputChannels * n * ho * wo)
        var dx = [Double](repeating: 0, count: x.count)
        var dw = [Double](repeating: 0, count: outputChannels * patch)
        for o in 0..<outputChannels {
            for c in 0..<inputChannels {
                for u in 0..<k {
                    for v in 0..<k {
                        let column = (c * k + u) * k + v
                        for sample in 0..<n {
                            for row in 0..<ho {
                                let ih = row * s + u - pad
                                if ih < 0 || ih >= h { continue }
                                for col in 0..<wo {
                                    let iw = col * s + v - pad
                                    if iw < 0 || iw >= w { continue }
                                    let at = ((c * n + sample) * h + ih) * w + iw
                                    let out = ((o * n + sample) * ho + row) * wo + col
                                    y[out] += weight[o * patch + column] * x[at]
                                    dx[at] += weight[o * patch + column] * dy[out]
                                    dw[o * patch + column] += dy[out] * x[at]
                                }
                            }
                        }
                    }
                }
            }
        }

        // The default budget makes one backward tile of these small shapes; the least makes tiles
        // of 64 positions, so that dY's margin, the dots and dX cross tile boundaries.
        for budget in [PositionTiles.budget, 0] {
            let kernel = SparseConvolutionKernel(geometry: g, outputChannels: outputChannels)
            kernel.tileBudget = budget
            expectMatches(
                kernel, pattern, values, input, outputGradient, y: y, dx: dx, dw: dw, "tile budget \(budget)")
        }
    }

    /// Runs `kernel` forward and backward and compares with the reference y, dX and dW.
    private func expectMatches(
        _ kernel: SparseConvolutionKernel, _ pattern: SparsePattern, _ values: [Float], _ input: Tensor,
        _ outputGradient: Tensor, y: [Double], dx: [Double], dw: [Double], _ label: String
    ) {
        let (outputChannels, patch) = (pattern.rows, pattern.columns)
        let output = Tensor(zeros: outputGradient.shape)
        output.fill(.nan)
        let inputGradient = Tensor(zeros: input.shape)
        inputGradient.fill(.nan)
        var gradientValues = [Float](repeating: .nan, count: pattern.count)
        var everywhere = [Float](repeating: .nan, count: outputChannels * patch)
        let positions = (0..<Int32(outputChannels * patch)).reversed().map { $0 }
        values.withUnsafeBufferPointer { v in
            kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
            gradientValues.withUnsafeMutableBufferPointer {
                kernel.backward(
                    pattern, values: v.baseAddress!, outputGradient: outputGradient, inputGradient: inputGradient,
                    weightGradientValues: $0.baseAddress!)
            }
        }
        positions.withUnsafeBufferPointer { p in
            everywhere.withUnsafeMutableBufferPointer {
                kernel.gradient(
                    at: p.baseAddress!, count: p.count, outputGradient: outputGradient, into: $0.baseAddress!)
            }
        }
        SparseFixture.expectClose(output.values, y, "forward, \(label)")
        SparseFixture.expectClose(inputGradient.values, dx, "input gradient, \(label)")
        SparseFixture.expectClose(
            gradientValues, pattern.flatIndices.map { dw[Int($0)] }, "kept weight gradient, \(label)")
        SparseFixture.expectClose(everywhere, positions.map { dw[Int($0)] }, "gradient at every position, \(label)")
    }

    @Test func repeatedStepsAgreeAndAllocateNothing() {
        let g = Case(kernel: 3, stride: 2, padding: 1, height: 9, width: 9, batch: 2).geometry(channels: 5)
        let pattern = SparseFixture.pattern(rows: 6, columns: g.patchSize, density: 0.2, seed: 8)
        let values = SparseFixture.values(pattern.count, seed: 8, purpose: "values")
        let input = SparseFixture.tensor([5, 2, 9, 9], seed: 8, purpose: "input")
        let output = Tensor(zeros: [6, 2, g.outputHeight, g.outputWidth])
        let inputGradient = Tensor(zeros: input.shape)
        var gradientValues = [Float](repeating: 0, count: pattern.count)
        let kernel = SparseConvolutionKernel(geometry: g, outputChannels: 6)
        func step() -> [Float] {
            values.withUnsafeBufferPointer { v in
                kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
                gradientValues.withUnsafeMutableBufferPointer {
                    kernel.backward(
                        pattern, values: v.baseAddress!, outputGradient: output, inputGradient: inputGradient,
                        weightGradientValues: $0.baseAddress!)
                }
            }
            return output.values + inputGradient.values + gradientValues
        }
        let first = step()
        let (second, counts) = MemoryScope.measure { step() }
        #expect(counts.allocations == 0)
        #expect(first == second)
    }

    @Test func backwardWithoutInputGradient() {
        let g = Case(kernel: 3, stride: 1, padding: 1, height: 5, width: 5, batch: 2).geometry(channels: 2)
        let pattern = SparseFixture.pattern(rows: 3, columns: g.patchSize, density: 0.5, seed: 4)
        let values = SparseFixture.values(pattern.count, seed: 4, purpose: "values")
        let input = SparseFixture.tensor([2, 2, 5, 5], seed: 4, purpose: "input")
        let output = Tensor(zeros: [3, 2, 5, 5])
        var with = [Float](repeating: 0, count: pattern.count)
        var without = with
        let kernel = SparseConvolutionKernel(geometry: g, outputChannels: 3)
        values.withUnsafeBufferPointer { v in
            kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
            let inputGradient = Tensor(zeros: input.shape)
            with.withUnsafeMutableBufferPointer {
                kernel.backward(
                    pattern, values: v.baseAddress!, outputGradient: output, inputGradient: inputGradient,
                    weightGradientValues: $0.baseAddress!)
            }
            without.withUnsafeMutableBufferPointer {
                kernel.backward(
                    pattern, values: v.baseAddress!, outputGradient: output, inputGradient: nil,
                    weightGradientValues: $0.baseAddress!)
            }
        }
        #expect(with == without)
    }

    /// A kernel that ran one pattern gives, for the next, what a fresh kernel gives (its per-pattern
    /// tables are rebuilt, bit for bit).
    @Test func newPatternMatchesAFreshKernel() {
        let g = Case(kernel: 3, stride: 1, padding: 1, height: 5, width: 5, batch: 2).geometry(channels: 3)
        let input = SparseFixture.tensor([3, 2, 5, 5], seed: 9, purpose: "input")
        let used = SparseConvolutionKernel(geometry: g, outputChannels: 4)
        func step(_ kernel: SparseConvolutionKernel, density: Double) -> [Float] {
            let pattern = SparseFixture.pattern(rows: 4, columns: g.patchSize, density: density, seed: 9)
            let values = SparseFixture.values(pattern.count, seed: 9, purpose: "values")
            let output = Tensor(zeros: [4, 2, 5, 5])
            let inputGradient = Tensor(zeros: input.shape)
            var gradientValues = [Float](repeating: 0, count: pattern.count)
            values.withUnsafeBufferPointer { v in
                kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
                gradientValues.withUnsafeMutableBufferPointer {
                    kernel.backward(
                        pattern, values: v.baseAddress!, outputGradient: output, inputGradient: inputGradient,
                        weightGradientValues: $0.baseAddress!)
                }
            }
            return output.values + inputGradient.values + gradientValues
        }
        _ = step(used, density: 0.5)
        let fresh = SparseConvolutionKernel(geometry: g, outputChannels: 4)
        #expect(step(used, density: 0.1) == step(fresh, density: 0.1))
    }
}
