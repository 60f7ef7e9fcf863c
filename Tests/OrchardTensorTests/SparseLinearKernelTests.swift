import OrchardTensor
import Testing

/// Checks the sparse linear kernel against y = x Wᵀ with the masked dense weight, in Double.
@Suite struct SparseLinearKernelTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        let inputs: Int
        let outputs: Int
        let batch: Int
        var testDescription: String { "\(inputs)->\(outputs) batch \(batch)" }
    }

    static let shapes = [
        Shape(inputs: 7, outputs: 5, batch: 1), Shape(inputs: 9, outputs: 4, batch: 3),
        Shape(inputs: 33, outputs: 18, batch: 17), Shape(inputs: 20, outputs: 11, batch: 70),
    ]

    @Test(arguments: shapes, [0.0, 0.05, 0.5, 1.0])
    func matchesMaskedDense(shape: Shape, density: Double) {
        let (n, i, o) = (shape.batch, shape.inputs, shape.outputs)
        let pattern = SparseFixture.pattern(rows: o, columns: i, density: density, seed: 11)
        let values = SparseFixture.values(pattern.count, seed: 11, purpose: "values")
        let weight = SparseFixture.dense(pattern, values)
        let input = SparseFixture.tensor([n, i], seed: 11, purpose: "input")
        let outputGradient = SparseFixture.tensor([n, o], seed: 11, purpose: "dY")
        let (x, dy) = (input.values.map(Double.init), outputGradient.values.map(Double.init))

        var y = [Double](repeating: 0, count: n * o)
        var dx = [Double](repeating: 0, count: n * i)
        var dw = [Double](repeating: 0, count: o * i)
        for s in 0..<n {
            for r in 0..<o {
                for c in 0..<i {
                    y[s * o + r] += x[s * i + c] * weight[r * i + c]
                    dx[s * i + c] += dy[s * o + r] * weight[r * i + c]
                    dw[r * i + c] += dy[s * o + r] * x[s * i + c]
                }
            }
        }

        let kernel = SparseLinearKernel(inputs: i, outputs: o)
        let output = Tensor(zeros: [n, o])
        output.fill(.nan)
        let inputGradient = Tensor(zeros: [n, i])
        inputGradient.fill(.nan)
        var gradientValues = [Float](repeating: .nan, count: pattern.count)
        var everywhere = [Float](repeating: .nan, count: o * i)
        let positions = (0..<Int32(o * i)).reversed().map { $0 }
        values.withUnsafeBufferPointer { v in
            kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
            kernel.inputGradient(pattern, values: v.baseAddress!, outputGradient: outputGradient, into: inputGradient)
        }
        gradientValues.withUnsafeMutableBufferPointer {
            kernel.weightGradient(pattern, outputGradient: outputGradient, input: input, into: $0.baseAddress!)
        }
        positions.withUnsafeBufferPointer { p in
            everywhere.withUnsafeMutableBufferPointer {
                kernel.gradient(
                    at: p.baseAddress!, count: p.count, outputGradient: outputGradient, input: input,
                    into: $0.baseAddress!)
            }
        }
        SparseFixture.expectClose(output.values, y, "forward")
        SparseFixture.expectClose(inputGradient.values, dx, "input gradient")
        SparseFixture.expectClose(gradientValues, pattern.flatIndices.map { dw[Int($0)] }, "kept weight gradient")
        SparseFixture.expectClose(everywhere, positions.map { dw[Int($0)] }, "gradient at every position")
    }

    @Test func steadyStepAllocatesNothing() {
        let pattern = SparseFixture.pattern(rows: 12, columns: 30, density: 0.1, seed: 5)
        let values = SparseFixture.values(pattern.count, seed: 5, purpose: "values")
        let input = SparseFixture.tensor([6, 30], seed: 5, purpose: "input")
        let output = Tensor(zeros: [6, 12])
        let inputGradient = Tensor(zeros: [6, 30])
        var gradientValues = [Float](repeating: 0, count: pattern.count)
        let kernel = SparseLinearKernel(inputs: 30, outputs: 12)
        func step() {
            values.withUnsafeBufferPointer { v in
                kernel.forward(pattern, values: v.baseAddress!, input: input, output: output)
                kernel.inputGradient(pattern, values: v.baseAddress!, outputGradient: output, into: inputGradient)
            }
            gradientValues.withUnsafeMutableBufferPointer {
                kernel.weightGradient(pattern, outputGradient: output, input: input, into: $0.baseAddress!)
            }
        }
        step()
        let (_, counts) = MemoryScope.measure { step() }
        #expect(counts.allocations == 0)
    }
}
