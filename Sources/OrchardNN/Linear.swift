import OrchardTensor

/// A fully connected layer: y = x W^T + b, with W of shape [outputs, inputs] as in PyTorch.
public final class Linear: PrunableLayer {
    public let inputs: Int
    public let outputs: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero

    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    /// The dense forward's product [outputs, batch] before it is transposed, for large weights.
    private var transposedOutput: Tensor?
    /// The output gradient of the last backward pass, which a search over pruned positions reads.
    private var outputGradient: Tensor?
    /// The kernels of a compact sparse weight, made on first use.
    private lazy var sparseKernel = SparseLinearKernel(inputs: inputs, outputs: outputs)

    /// Creates the layer with weights drawn from `random`.
    public init(
        _ inputs: Int, _ outputs: Int, bias: Bool = true,
        initializer: Initializer = .kaimingUniformDefault, random: inout RandomStream
    ) {
        self.inputs = inputs
        self.outputs = outputs
        weight = Parameter(shape: [outputs, inputs], kind: .weight)
        self.bias = bias ? Parameter(shape: [outputs], kind: .bias) : nil
        initializer.fill(
            weight: weight.value, bias: self.bias?.value, fanIn: inputs, fanOut: outputs,
            random: &random)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], outputs] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(
            input.shape.count == 2 && input.shape[1] == inputs, "Linear(\(inputs), \(outputs)) got \(input.shape)")
        let batch = input.shape[0]
        let output = Tensor.reusing(self.output, shape: [batch, outputs])
        self.output = output
        self.input = mode == .training ? input : nil
        if weight.isCompact, let pattern = weight.pattern {
            sparseKernel.forward(pattern, values: weight.value.data, input: input, output: output)
            if let bias { addRows(bias.value.data, to: output.data, rows: batch, columns: outputs) }
            flops = FLOPCount(forward: 2 * batch * pattern.count + (bias == nil ? 0 : batch * outputs))
            return output
        }
        flops = FLOPCount(forward: 2 * batch * inputs * outputs + (bias == nil ? 0 : batch * outputs))
        if Self.computesTransposed(inputs: inputs, outputs: outputs) {
            transposedProduct(input, batch: batch, into: output)
            return output
        }
        if let bias {
            for row in 0..<batch { (output.data + row * outputs).update(from: bias.value.data, count: outputs) }
        }
        BLAS.gemm(
            transposeA: false, transposeB: true, m: batch, n: outputs, k: inputs,
            a: input.data, lda: inputs, b: weight.value.data, ldb: inputs,
            beta: bias == nil ? 0 : 1, c: output.data, ldc: outputs)
        return output
    }

    /// Whether the dense forward computes Y^T = W X^T and transposes it: OpenBLAS runs that
    /// orientation 4-8% faster for the MLP's 784x300 layer and no faster below about 100k weights
    /// (`docs/kernels.md`), where the transpose would only add work.
    static func computesTransposed(inputs: Int, outputs: Int) -> Bool { inputs * outputs >= 1 << 17 }

    /// Y = (W X^T)^T + b through the scratch `transposedOutput` of shape [outputs, batch], the bias
    /// added after the transpose.
    private func transposedProduct(_ input: Tensor, batch: Int, into output: Tensor) {
        let transposed = Tensor.reusing(transposedOutput, shape: [outputs, batch], role: .workspace)
        transposedOutput = transposed
        BLAS.gemm(
            transposeA: false, transposeB: true, m: outputs, n: batch, k: inputs,
            a: weight.value.data, lda: inputs, b: input.data, ldb: inputs, c: transposed.data, ldc: batch)
        Elementwise.transpose(
            transposed.data, rows: outputs, columns: batch, sourceStride: batch, into: output.data,
            targetStride: outputs)
        if let bias { addRows(bias.value.data, to: output.data, rows: batch, columns: outputs) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let input else { preconditionFailure("Linear.backward without a training forward") }
        self.outputGradient = outputGradient
        if weight.isCompact { return sparseBackward(outputGradient, input: input) }
        let batch = input.shape[0]
        // dW[out, in] = dY^T[out, batch] X[batch, in]
        BLAS.gemm(
            transposeA: true, transposeB: false, m: outputs, n: inputs, k: batch,
            a: outputGradient.data, lda: outputs, b: input.data, ldb: inputs,
            c: weight.gradient!.data, ldc: inputs)
        weight.maskGradient()
        var backwardFLOPs = 2 * batch * inputs * outputs
        if let gradient = bias?.gradient {
            sumRows(outputGradient.data, rows: batch, columns: outputs, into: gradient.data)
            backwardFLOPs += batch * outputs
        }
        var result: Tensor?
        if needsInputGradient {
            let inputGradient = Tensor.reusing(self.inputGradient, shape: input.shape)
            self.inputGradient = inputGradient
            // dX[batch, in] = dY[batch, out] W[out, in]
            BLAS.gemm(
                transposeA: false, transposeB: false, m: batch, n: inputs, k: outputs,
                a: outputGradient.data, lda: outputs, b: weight.value.data, ldb: inputs,
                c: inputGradient.data, ldc: inputs)
            backwardFLOPs += 2 * batch * inputs * outputs
            result = inputGradient
        }
        flops.backward = backwardFLOPs
        return result
    }

    /// The backward pass of a compact sparse weight: gradients at kept entries only.
    private func sparseBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor? {
        let pattern = weight.pattern!
        let batch = input.shape[0]
        sparseKernel.weightGradient(
            pattern, outputGradient: outputGradient, input: input, into: weight.gradient!.data)
        var backwardFLOPs = 2 * batch * pattern.count
        if let gradient = bias?.gradient {
            sumRows(outputGradient.data, rows: batch, columns: outputs, into: gradient.data)
            backwardFLOPs += batch * outputs
        }
        var result: Tensor?
        if needsInputGradient {
            let inputGradient = Tensor.reusing(self.inputGradient, shape: input.shape)
            self.inputGradient = inputGradient
            sparseKernel.inputGradient(
                pattern, values: weight.value.data, outputGradient: outputGradient, into: inputGradient)
            backwardFLOPs += 2 * batch * pattern.count
            result = inputGradient
        }
        flops.backward = backwardFLOPs
        return result
    }

    /// The gradient of the loss at arbitrary flat positions of the weight, from the last backward
    /// pass, whatever the storage; what a search over pruned positions reads, tile by tile.
    public func weightGradient(at positions: UnsafeBufferPointer<Int32>, into gradients: UnsafeMutablePointer<Float>) {
        guard let input, let outputGradient else {
            preconditionFailure("Linear.weightGradient without a training forward and backward")
        }
        sparseKernel.gradient(
            at: positions.baseAddress!, count: positions.count, outputGradient: outputGradient, input: input,
            into: gradients)
    }

    /// The output, dX when needed, and with a compact weight the sparse kernel's transposes.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        let batch = inputShape[0]
        var tensors = [tensorBytes([batch, outputs])] + (needsInputGradient ? [tensorBytes(inputShape)] : [])
        if !weight.isCompact && Self.computesTransposed(inputs: inputs, outputs: outputs) {
            tensors.append(tensorBytes([outputs, batch]))
        }
        if weight.isCompact, let pattern = weight.pattern {
            tensors += SparseLinearKernel.workspaceBytes(
                inputs: inputs, outputs: outputs, batch: batch, kept: pattern.count,
                inputGradient: needsInputGradient)
        }
        return tensors
    }

    public func prefersCompact(density: Double, inputShape: [Int]) -> Bool {
        SparseDispatch.prefersSparse(density: density, inputs: inputs, outputs: outputs)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(qualified(prefix, "weight"), weight)
        if let bias { visit(qualified(prefix, "bias"), bias) }
    }
}

/// Adds `vector` to every row of a row-major [rows, columns] matrix.
func addRows(_ vector: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
    for row in 0..<rows {
        let line = matrix + row * columns
        for column in 0..<columns { line[column] += vector[column] }
    }
}

/// Writes the column sums of a row-major [rows, columns] matrix into `sums`.
func sumRows(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    sums.update(repeating: 0, count: columns)
    for row in 0..<rows {
        let line = matrix + row * columns
        for column in 0..<columns { sums[column] += line[column] }
    }
}
