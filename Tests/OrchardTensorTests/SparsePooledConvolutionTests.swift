import OrchardTensor
import Testing

/// Checks the convolution fused with bias, ReLU and a 2x2 max pool against the masked dense
/// weight and the three steps apart, computed naively in Double.
@Suite struct SparsePooledConvolutionTests {
    typealias Case = SparseConvolutionKernelTests.Case

    /// Odd and even outputs, narrow and wide enough for the eight-window vectors, batches that are
    /// no multiple of 16, a sample larger than one tile, and narrow rows (one vector per row) over
    /// two tiles of samples (56 and 4).
    static let cases = [
        Case(kernel: 5, stride: 1, padding: 2, height: 28, width: 28, batch: 3),
        Case(kernel: 5, stride: 1, padding: 0, height: 14, width: 14, batch: 5),
        Case(kernel: 3, stride: 1, padding: 0, height: 12, width: 12, batch: 60),
        Case(kernel: 3, stride: 1, padding: 1, height: 7, width: 19, batch: 2),
        Case(kernel: 3, stride: 2, padding: 1, height: 9, width: 40, batch: 3),
        Case(kernel: 3, stride: 1, padding: 0, height: 100, width: 100, batch: 1),
    ]

    /// What the three layers compute, in Double: the pooled output, and the gradients given the
    /// pooled output's gradient.
    struct Reference {
        var pooled: [Double]
        var inputGradient: [Double]
        var weightGradient: [Double]
        var biasGradient: [Double]
    }

    static func reference(
        _ g: ConvolutionGeometry, outputs: Int, batch n: Int, weight: [Double], bias: [Double], input: [Double],
        pooledGradient: [Double]
    ) -> Reference {
        let (k, s, pad, h, w) = (g.kernelHeight, g.stride, g.padding, g.height, g.width)
        let (ho, wo) = (g.outputHeight, g.outputWidth)
        let (hp, wp) = (ho / 2, wo / 2)
        let patch = g.patchSize
        func window(_ o: Int, _ sample: Int, _ row: Int, _ col: Int, _ visit: (Int, Int) -> Void) {
            for c in 0..<g.channels {
                for u in 0..<k {
                    for v in 0..<k {
                        let (ih, iw) = (row * s + u - pad, col * s + v - pad)
                        if ih < 0 || ih >= h || iw < 0 || iw >= w { continue }
                        visit(o * patch + (c * k + u) * k + v, ((c * n + sample) * h + ih) * w + iw)
                    }
                }
            }
        }
        var result = Reference(
            pooled: [Double](repeating: 0, count: outputs * n * hp * wp),
            inputGradient: [Double](repeating: 0, count: input.count),
            weightGradient: [Double](repeating: 0, count: outputs * patch),
            biasGradient: [Double](repeating: 0, count: outputs))
        for o in 0..<outputs {
            for sample in 0..<n {
                for y in 0..<hp {
                    for x in 0..<wp {
                        // The max pool's scan order: the first of equal values wins.
                        var (best, at) = (-Double.infinity, (0, 0))
                        for (row, col) in [
                            (2 * y, 2 * x), (2 * y, 2 * x + 1), (2 * y + 1, 2 * x), (2 * y + 1, 2 * x + 1),
                        ] {
                            var sum = bias[o]
                            window(o, sample, row, col) { sum += weight[$0] * input[$1] }
                            if max(sum, 0) > best { (best, at) = (max(sum, 0), (row, col)) }
                        }
                        let index = ((o * n + sample) * hp + y) * wp + x
                        result.pooled[index] = best
                        guard best > 0 else { continue }
                        let gradient = pooledGradient[index]
                        result.biasGradient[o] += gradient
                        window(o, sample, at.0, at.1) { weightIndex, inputIndex in
                            result.weightGradient[weightIndex] += gradient * input[inputIndex]
                            result.inputGradient[inputIndex] += gradient * weight[weightIndex]
                        }
                    }
                }
            }
        }
        return result
    }

    @Test(arguments: cases, [0.05, 0.5, 1.0])
    func matchesTheLayersApart(shape: Case, density: Double) {
        let (inputChannels, outputChannels) = (3, 5)
        let g = shape.geometry(channels: inputChannels)
        let n = shape.batch
        let pattern = SparseFixture.pattern(rows: outputChannels, columns: g.patchSize, density: density, seed: 31)
        let values = SparseFixture.values(pattern.count, seed: 31, purpose: "values")
        let bias = SparseFixture.values(outputChannels, seed: 31, purpose: "bias").map { $0 * 0.3 }
        let input = SparseFixture.tensor([inputChannels, n, g.height, g.width], seed: 31, purpose: "input")
        let pooledShape = [outputChannels, n, g.outputHeight / 2, g.outputWidth / 2]
        let pooledGradient = SparseFixture.tensor(pooledShape, seed: 31, purpose: "dY")
        let expected = Self.reference(
            g, outputs: outputChannels, batch: n, weight: SparseFixture.dense(pattern, values),
            bias: bias.map(Double.init), input: input.values.map(Double.init),
            pooledGradient: pooledGradient.values.map(Double.init))

        let output = Tensor(zeros: pooledShape)
        output.fill(.nan)
        let inputGradient = Tensor(zeros: input.shape)
        inputGradient.fill(.nan)
        let pass = PooledPass(
            pattern: pattern, values: values, bias: bias, input: input, output: output, pooledGradient: pooledGradient)
        let (weightGradient, biasGradient, everywhere) = pass.run(
            SparseConvolutionKernel(geometry: g, outputChannels: outputChannels), inputGradient: inputGradient)
        // Without dX, dW is taken a tile of samples at a time and no wide dY is kept.
        let alone = pass.run(SparseConvolutionKernel(geometry: g, outputChannels: outputChannels), inputGradient: nil)
        SparseFixture.expectClose(
            alone.weight, pattern.flatIndices.map { expected.weightGradient[Int($0)] },
            "kept weight gradient without dX")
        SparseFixture.expectClose(alone.bias, expected.biasGradient, "bias gradient without dX")
        SparseFixture.expectClose(alone.everywhere, expected.weightGradient, "every position without dX")
        SparseFixture.expectClose(output.values, expected.pooled, "pooled forward")
        SparseFixture.expectClose(inputGradient.values, expected.inputGradient, "input gradient")
        SparseFixture.expectClose(
            weightGradient, pattern.flatIndices.map { expected.weightGradient[Int($0)] }, "kept weight gradient")
        SparseFixture.expectClose(biasGradient, expected.biasGradient, "bias gradient")
        SparseFixture.expectClose(everywhere, expected.weightGradient, "gradient at every position")
    }

    /// A kernel whose wide dY another layout used since spreads its own again, with the zeros that
    /// layout did not leave, and gets what it got the first time, bit for bit; and a steady
    /// pooled step allocates nothing.
    @Test func sharedWorkspaceAgreesAndAllocatesNothing() {
        let workspace = SparseWorkspace()
        let first = Case(kernel: 5, stride: 1, padding: 2, height: 12, width: 12, batch: 3).geometry(channels: 2)
        let second = Case(kernel: 3, stride: 1, padding: 0, height: 6, width: 6, batch: 3).geometry(channels: 4)
        let kernels = [
            SparseConvolutionKernel(geometry: first, outputChannels: 4, workspace: workspace),
            SparseConvolutionKernel(geometry: second, outputChannels: 3, workspace: workspace),
        ]
        let patterns = [(4, first), (3, second)].map {
            SparseFixture.pattern(rows: $0.0, columns: $0.1.patchSize, density: 0.3, seed: 5)
        }
        let inputs = [first, second].map {
            SparseFixture.tensor([$0.channels, 3, $0.height, $0.width], seed: 5, purpose: "input")
        }
        let outputs = [(4, first), (3, second)].map {
            Tensor(zeros: [$0.0, 3, $0.1.outputHeight / 2, $0.1.outputWidth / 2])
        }
        let inputGradients = inputs.map { Tensor(zeros: $0.shape) }
        var gradients = patterns.map { [Float](repeating: 0, count: $0.count) }
        func step() -> [Float] {
            var result: [Float] = []
            for index in 0..<2 {
                let values = SparseFixture.values(patterns[index].count, seed: 5, purpose: "values")
                values.withUnsafeBufferPointer { v in
                    kernels[index].forwardPooled(
                        patterns[index], values: v.baseAddress!, bias: nil, input: inputs[index],
                        output: outputs[index])
                    gradients[index].withUnsafeMutableBufferPointer {
                        kernels[index].backwardPooled(
                            patterns[index], values: v.baseAddress!, outputGradient: outputs[index],
                            inputGradient: inputGradients[index], weightGradientValues: $0.baseAddress!,
                            biasGradient: nil)
                    }
                }
                result += outputs[index].values + inputGradients[index].values + gradients[index]
            }
            return result
        }
        let once = step()
        let (twice, counts) = MemoryScope.measure { step() }
        #expect(counts.allocations == 0)
        #expect(once == twice)
    }
    /// One kernel running the plain forward pass and the pooled one in turn keeps each layout's
    /// padding zeros: its results equal those of kernels that run only one of them, bit for bit.
    @Test func alternatingLayoutsAgree() {
        let g = Case(kernel: 5, stride: 1, padding: 2, height: 12, width: 10, batch: 3).geometry(channels: 2)
        let pattern = SparseFixture.pattern(rows: 3, columns: g.patchSize, density: 0.4, seed: 8)
        let values = SparseFixture.values(pattern.count, seed: 8, purpose: "values")
        let inputs = (0..<2).map { SparseFixture.tensor([2, 3, 12, 10], seed: 8 + UInt64($0), purpose: "input") }
        let (shared, plain, pooled) = (
            SparseConvolutionKernel(geometry: g, outputChannels: 3),
            SparseConvolutionKernel(geometry: g, outputChannels: 3),
            SparseConvolutionKernel(geometry: g, outputChannels: 3)
        )
        values.withUnsafeBufferPointer { v in
            for input in inputs {
                let outputs = (0..<2).map { _ in Tensor(zeros: [3, 3, g.outputHeight, g.outputWidth]) }
                shared.forward(pattern, values: v.baseAddress!, input: input, output: outputs[0])
                plain.forward(pattern, values: v.baseAddress!, input: input, output: outputs[1])
                #expect(outputs[0].values == outputs[1].values)
                let pooledOutputs = (0..<2).map { _ in Tensor(zeros: [3, 3, g.outputHeight / 2, g.outputWidth / 2]) }
                shared.forwardPooled(pattern, values: v.baseAddress!, bias: nil, input: input, output: pooledOutputs[0])
                pooled.forwardPooled(pattern, values: v.baseAddress!, bias: nil, input: input, output: pooledOutputs[1])
                #expect(pooledOutputs[0].values == pooledOutputs[1].values)
            }
        }
    }
}

/// One pooled forward and backward pass of a kernel over fixed data, then dL/dW at every position.
struct PooledPass {
    let pattern: SparsePattern
    let values: [Float]
    let bias: [Float]
    let input: Tensor
    let output: Tensor
    let pooledGradient: Tensor

    /// The kept weights' gradient, the bias gradient and the gradient at every position.
    ///
    /// dX goes into `inputGradient` when given. A kernel of another layout claims the shared wide
    /// dY in between in a network; a fresh workspace stands for that, so the gradient at every
    /// position must be spread out again from the pooled dY.
    func run(_ kernel: SparseConvolutionKernel, inputGradient: Tensor?) -> (
        weight: [Float], bias: [Float], everywhere: [Float]
    ) {
        let everyPosition = kernel.outputChannels * kernel.geometry.patchSize
        var weightGradient = [Float](repeating: .nan, count: pattern.count)
        var biasGradient = [Float](repeating: .nan, count: kernel.outputChannels)
        var everywhere = [Float](repeating: .nan, count: everyPosition)
        values.withUnsafeBufferPointer { v in
            bias.withUnsafeBufferPointer { b in
                kernel.forwardPooled(
                    pattern, values: v.baseAddress!, bias: b.baseAddress!, input: input, output: output)
            }
            weightGradient.withUnsafeMutableBufferPointer { dw in
                biasGradient.withUnsafeMutableBufferPointer { db in
                    kernel.backwardPooled(
                        pattern, values: v.baseAddress!, outputGradient: pooledGradient, inputGradient: inputGradient,
                        weightGradientValues: dw.baseAddress!, biasGradient: db.baseAddress!)
                }
            }
        }
        let positions = (0..<Int32(everyPosition)).map { $0 }
        positions.withUnsafeBufferPointer { p in
            everywhere.withUnsafeMutableBufferPointer {
                kernel.gradient(
                    at: p.baseAddress!, count: p.count, outputGradient: pooledGradient, into: $0.baseAddress!)
            }
        }
        return (weightGradient, biasGradient, everywhere)
    }
}
