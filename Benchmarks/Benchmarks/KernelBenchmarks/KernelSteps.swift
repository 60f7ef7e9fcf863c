import OrchardTensor

/// The dense step of a shape: the GEMMs (and for convolutions the im2col and fold) of the layers,
/// columns grouped within 512 KB as the layer groups them.
struct DenseStep {
    let shape: KernelShape
    let input: Tensor
    let weight: Tensor
    let output: Tensor
    let outputGradient: Tensor
    let inputGradient: Tensor
    let weightGradient: Tensor
    let columns: Tensor
    let columnGradient: Tensor
    /// Samples per im2col group.
    let group: Int

    init(_ shape: KernelShape) {
        self.shape = shape
        var random = RandomStream(seed: 1, purpose: "dense step")
        let (rows, patch) = shape.weightShape
        weight = filled([rows, patch], &random)
        switch shape {
        case .linear(_, let inputs, let outputs, let batch):
            input = filled([batch, inputs], &random)
            output = Tensor(zeros: [batch, outputs])
            outputGradient = filled([batch, outputs], &random)
            group = batch
        case .convolution(_, let g, let outputChannels, let batch):
            input = filled([g.channels, batch, g.height, g.width], &random)
            output = Tensor(zeros: [outputChannels, batch, g.outputHeight, g.outputWidth])
            outputGradient = filled(output.shape, &random)
            let perSample = g.patchSize * g.outputPlane * MemoryLayout<Float>.stride
            group = g.isPointwise ? batch : max(1, min(batch, 512 * 1024 / max(perSample, 1)))
        }
        inputGradient = Tensor(zeros: input.shape)
        weightGradient = Tensor(zeros: weight.shape)
        let columnCount: Int
        if case .convolution(_, let g, _, _) = shape, !g.isPointwise {
            columnCount = g.patchSize * group * g.outputPlane
        } else {
            columnCount = 0
        }
        columns = Tensor(zeros: [columnCount], role: .workspace)
        columnGradient = Tensor(zeros: [columnCount], role: .workspace)
    }

    func run() {
        switch shape {
        case .linear(_, let inputs, let outputs, let batch):
            BLAS.gemm(
                transposeA: false, transposeB: true, m: batch, n: outputs, k: inputs, a: input.data, lda: inputs,
                b: weight.data, ldb: inputs, c: output.data, ldc: outputs)
            BLAS.gemm(
                transposeA: true, transposeB: false, m: outputs, n: inputs, k: batch, a: outputGradient.data,
                lda: outputs, b: input.data, ldb: inputs, c: weightGradient.data, ldc: inputs)
            BLAS.gemm(
                transposeA: false, transposeB: false, m: batch, n: inputs, k: outputs, a: outputGradient.data,
                lda: outputs, b: weight.data, ldb: inputs, c: inputGradient.data, ldc: inputs)
        case .convolution(_, let g, let outputChannels, let batch):
            convolution(g, outputChannels: outputChannels, batch: batch)
        }
    }

    private func convolution(_ g: ConvolutionGeometry, outputChannels: Int, batch: Int) {
        let plane = g.outputPlane
        let leading = batch * plane
        for first in stride(from: 0, to: batch, by: group) {
            let count = min(group, batch - first)
            let (source, sourceLeading) = unfolded(g, batch: batch, first: first, count: count)
            BLAS.gemm(
                transposeA: false, transposeB: false, m: outputChannels, n: count * plane, k: g.patchSize,
                a: weight.data, lda: g.patchSize, b: source, ldb: sourceLeading, c: output.data + first * plane,
                ldc: leading)
        }
        if !g.isPointwise { inputGradient.zero() }
        for first in stride(from: 0, to: batch, by: group) {
            let count = min(group, batch - first)
            let (source, sourceLeading) = unfolded(g, batch: batch, first: first, count: count)
            let gradientRows = outputGradient.data + first * plane
            BLAS.gemm(
                transposeA: false, transposeB: true, m: outputChannels, n: g.patchSize, k: count * plane,
                a: gradientRows, lda: leading, b: source, ldb: sourceLeading, beta: first == 0 ? 0 : 1,
                c: weightGradient.data, ldc: g.patchSize)
            if g.isPointwise {
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
                    a: weight.data, lda: g.patchSize, b: gradientRows, ldb: leading,
                    c: inputGradient.data + first * plane, ldc: leading)
            } else {
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
                    a: weight.data, lda: g.patchSize, b: gradientRows, ldb: leading, c: columnGradient.data,
                    ldc: count * plane)
                Im2Col.fold(
                    columnGradient.data, batch: batch, first: first, count: count, geometry: g,
                    into: inputGradient.data)
            }
        }
    }

    private func unfolded(_ g: ConvolutionGeometry, batch: Int, first: Int, count: Int)
        -> (UnsafePointer<Float>, Int)
    {
        if g.isPointwise { return (UnsafePointer(input.data + first * g.outputPlane), batch * g.outputPlane) }
        Im2Col.unfold(input.data, batch: batch, first: first, count: count, geometry: g, into: columns.data)
        return (UnsafePointer(columns.data), count * g.outputPlane)
    }
}

/// The sparse step of a shape at a density: the sparse kernel's forward, dX and dW at kept entries.
struct SparseStep {
    let shape: KernelShape
    let pattern: SparsePattern
    let values: Tensor
    let input: Tensor
    let output: Tensor
    let outputGradient: Tensor
    let inputGradient: Tensor
    let gradientValues: Tensor
    let linear: SparseLinearKernel?
    let convolution: SparseConvolutionKernel?

    init(_ shape: KernelShape, density: Double) {
        self.shape = shape
        var random = RandomStream(seed: 1, purpose: "sparse step")
        let (rows, columns) = shape.weightShape
        let kept = Int((density * Double(rows * columns)).rounded())
        let positions = random.permutation(rows * columns).prefix(kept).sorted().map { Int32($0) }
        pattern = SparsePattern(rows: rows, columns: columns, flatIndices: positions)
        values = filled([pattern.count], &random)
        gradientValues = Tensor(zeros: [pattern.count])
        switch shape {
        case .linear(_, let inputs, let outputs, let batch):
            input = filled([batch, inputs], &random)
            output = Tensor(zeros: [batch, outputs])
            linear = SparseLinearKernel(inputs: inputs, outputs: outputs)
            convolution = nil
        case .convolution(_, let g, let outputChannels, let batch):
            input = filled([g.channels, batch, g.height, g.width], &random)
            output = Tensor(zeros: [outputChannels, batch, g.outputHeight, g.outputWidth])
            linear = nil
            convolution = SparseConvolutionKernel(geometry: g, outputChannels: outputChannels)
        }
        outputGradient = filled(output.shape, &random)
        inputGradient = Tensor(zeros: input.shape)
    }

    func run() {
        if let linear {
            linear.forward(pattern, values: values.data, input: input, output: output)
            linear.weightGradient(
                pattern, outputGradient: outputGradient, input: input, into: gradientValues.data)
            linear.inputGradient(pattern, values: values.data, outputGradient: outputGradient, into: inputGradient)
        }
        if let convolution {
            convolution.forward(pattern, values: values.data, input: input, output: output)
            convolution.backward(
                pattern, values: values.data, outputGradient: outputGradient, inputGradient: inputGradient,
                weightGradientValues: gradientValues.data)
        }
    }
}

/// A tensor of values uniform in [-1, 1).
private func filled(_ shape: [Int], _ random: inout RandomStream) -> Tensor {
    let tensor = Tensor(zeros: shape, role: .workspace)
    for index in 0..<tensor.count { tensor[index] = 2 * random.nextFloat() - 1 }
    return tensor
}
