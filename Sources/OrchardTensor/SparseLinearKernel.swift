/// y = x Wᵀ and its gradients with a sparse weight W [outputs, inputs] stored as a pattern and values.
///
/// Activations are transposed into reused workspaces of shape [features, batch] (the batch rounded
/// up to whole vectors, the extra columns kept zero), so that a kept weight (o, i) is one axpy of
/// the batch-long row i of xᵀ into row o of yᵀ, and its weight gradient is one dot product of
/// rows of dYᵀ and xᵀ. Time and memory go with the kept entries and the activations; nothing of
/// the dense weight's size is formed. The transposes cost (inputs + outputs) x batch copies, which
/// is what keeps this behind one dense GEMM at high densities.
///
/// A kernel object keeps workspaces between calls; one layer should own one, and calls are not
/// thread-safe.
public final class SparseLinearKernel {
    public let inputs: Int
    public let outputs: Int

    private var inputTransposed: Tensor?
    private var outputTransposed: Tensor?
    private var gradientTransposed: Tensor?
    private var inputGradientTransposed: Tensor?
    private var offsets: IndexStorage?
    /// Counts forward passes: a transpose made since the last one is of the current batch.
    private var generation = 0
    /// The tensors (by their values' address) whose transposes `inputTransposed` and
    /// `gradientTransposed` hold, and in which generation they were made: backward reads x and dY twice (dW, then dX), and each transpose
    /// cost as much as a sparse product at 5%.
    private var inputSource: (UnsafeMutablePointer<Float>, generation: Int)?
    private var gradientSource: (UnsafeMutablePointer<Float>, generation: Int)?

    /// Creates a kernel for a layer of `inputs` features in and `outputs` out.
    public init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Writes y = x Wᵀ into `output` [N, outputs] for `input` [N, inputs]; W is `pattern` with `values`.
    public func forward(_ pattern: SparsePattern, values: UnsafePointer<Float>, input: Tensor, output: Tensor) {
        let batch = check(pattern, input, features: inputs, "input")
        check(output, batch: batch, features: outputs, "output")
        let lanes = SparseRuns.roundedUp(batch)
        generation += 1
        let source = transposed(input, &inputTransposed, &inputSource)
        let result = workspace(&outputTransposed, rows: outputs, lanes: lanes)
        SparseRuns.multiply(
            rows: outputs, rowStarts: pattern.rowStarts, offsets: entryOffsets(pattern, lanes: lanes), values: values,
            source: source.data, target: result.data, targetStride: lanes, length: lanes,
            tile: SparseRuns.tileLength(sourceRuns: inputs))
        Elementwise.transpose(
            result.data, rows: outputs, columns: batch, sourceStride: lanes, into: output.data, targetStride: outputs)
    }

    /// Writes dX = dY W into `inputGradient` [N, inputs] for `outputGradient` [N, outputs].
    public func inputGradient(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, outputGradient: Tensor, into inputGradient: Tensor
    ) {
        let batch = check(pattern, outputGradient, features: outputs, "output gradient")
        check(inputGradient, batch: batch, features: inputs, "input gradient")
        let lanes = SparseRuns.roundedUp(batch)
        let gradient = transposed(outputGradient, &gradientTransposed, &gradientSource)
        let result = workspace(&inputGradientTransposed, rows: inputs, lanes: lanes)
        result.zero()
        SparseRuns.multiplyTransposed(
            rows: outputs, rowStarts: pattern.rowStarts, offsets: entryOffsets(pattern, lanes: lanes), values: values,
            source: gradient.data, sourceStride: lanes, target: result.data, length: lanes,
            tile: SparseRuns.tileLength(sourceRuns: inputs))
        Elementwise.transpose(
            result.data, rows: inputs, columns: batch, sourceStride: lanes, into: inputGradient.data,
            targetStride: inputs)
    }

    /// Writes dW = dYᵀ x at the kept entries of `pattern` into `gradientValues` (one per entry).
    public func weightGradient(
        _ pattern: SparsePattern, outputGradient: Tensor, input: Tensor,
        into gradientValues: UnsafeMutablePointer<Float>
    ) {
        let batch = check(pattern, input, features: inputs, "input")
        check(outputGradient, batch: batch, features: outputs, "output gradient")
        let lanes = SparseRuns.roundedUp(batch)
        let source = transposed(input, &inputTransposed, &inputSource)
        let gradient = transposed(outputGradient, &gradientTransposed, &gradientSource)
        SparseRuns.entryDots(
            rows: outputs, rowStarts: pattern.rowStarts, offsets: entryOffsets(pattern, lanes: lanes),
            gradient: gradient.data, gradientStride: lanes, source: source.data, sums: gradientValues, length: lanes,
            tile: lanes)
    }

    /// Writes dL/dW at `count` arbitrary flat positions (`output * inputs + input`) of the dense weight.
    ///
    /// Meant for choosing which pruned positions to regrow: the positions need not be kept, sorted
    /// or distinct.
    public func gradient(
        at flatPositions: UnsafePointer<Int32>, count: Int, outputGradient: Tensor, input: Tensor,
        into gradients: UnsafeMutablePointer<Float>
    ) {
        precondition(input.shape.count == 2 && input.shape[1] == inputs, "SparseLinearKernel input \(input.shape)")
        let batch = input.shape[0]
        check(outputGradient, batch: batch, features: outputs, "output gradient")
        let lanes = SparseRuns.roundedUp(batch)
        let source = transposed(input, &inputTransposed, &inputSource).data
        let gradient = transposed(outputGradient, &gradientTransposed, &gradientSource).data
        for index in 0..<count {
            let position = Int(flatPositions[index])
            precondition(position >= 0 && position < inputs * outputs, "position \(position) outside the weight")
            let (row, column) = position.quotientAndRemainder(dividingBy: inputs)
            gradients[index] = SparseRuns.dot(gradient + row * lanes, source + column * lanes, length: lanes)
        }
    }

    /// Checks the pattern's shape and a [N, features] operand, and returns N.
    private func check(_ pattern: SparsePattern, _ tensor: Tensor, features: Int, _ name: String) -> Int {
        precondition(
            pattern.rows == outputs && pattern.columns == inputs,
            "SparseLinearKernel(\(inputs), \(outputs)) got a \(pattern.rows)x\(pattern.columns) pattern")
        precondition(
            tensor.shape.count == 2 && tensor.shape[1] == features,
            "SparseLinearKernel(\(inputs), \(outputs)) got \(name) \(tensor.shape)")
        return tensor.shape[0]
    }

    private func check(_ tensor: Tensor, batch: Int, features: Int, _ name: String) {
        precondition(
            tensor.shape == [batch, features],
            "SparseLinearKernel \(name) is \(tensor.shape), not [\(batch), \(features)]")
    }

    /// The reused [rows, lanes] workspace; its columns past the batch stay zero because nothing writes them.
    private func workspace(_ slot: inout Tensor?, rows: Int, lanes: Int) -> Tensor {
        let tensor = Tensor.reusing(slot, shape: [rows, lanes], role: .workspace)
        slot = tensor
        return tensor
    }

    /// `tensor` [N, features] transposed into the workspace in `slot`, [features, N rounded up];
    /// reused if `source` says the slot holds this tensor's transpose since the last forward pass.
    ///
    /// A tensor's values are taken not to change between a forward pass and the backward calls
    /// that follow it, as layers hold their outputs and input gradients.
    private func transposed(
        _ tensor: Tensor, _ slot: inout Tensor?, _ source: inout (UnsafeMutablePointer<Float>, generation: Int)?
    )
        -> Tensor
    {
        let (batch, features) = (tensor.shape[0], tensor.shape[1])
        let lanes = SparseRuns.roundedUp(batch)
        let identity = tensor.data
        if let slot, let made = source, made.0 == identity, made.generation == generation,
            slot.shape == [features, lanes]
        {
            return slot
        }
        source = (identity, generation)
        let result = workspace(&slot, rows: features, lanes: lanes)
        Elementwise.transpose(
            tensor.data, rows: batch, columns: features, sourceStride: features, into: result.data,
            targetStride: lanes)
        return result
    }

    /// Each kept entry's run in a [inputs, lanes] workspace: its column times `lanes`.
    private func entryOffsets(_ pattern: SparsePattern, lanes: Int) -> UnsafePointer<Int32> {
        precondition(inputs * lanes <= Int(Int32.max), "SparseLinearKernel batch too large for Int32 offsets")
        let storage = IndexStorage.reusing(offsets, count: pattern.count, role: .workspace)
        offsets = storage
        let columns = pattern.columnIndices
        let step = Int32(lanes)
        for entry in 0..<pattern.count { storage.base[entry] = columns[entry] &* step }
        return UnsafePointer(storage.base)
    }
}

extension SparseLinearKernel {
    /// Bytes of each workspace a kernel holds after a forward and backward pass, for footprints.
    ///
    /// Mirrors the allocations above: xᵀ [inputs, lanes], yᵀ and dYᵀ [outputs, lanes], dXᵀ [inputs,
    /// lanes] when the input gradient is computed, and one Int32 offset per kept entry; `lanes` is
    /// the batch rounded up to whole vectors.
    /// - Parameters:
    ///   - kept: the pattern's kept entries.
    ///   - inputGradient: whether the backward pass computes dX.
    public static func workspaceBytes(inputs: Int, outputs: Int, batch: Int, kept: Int, inputGradient: Bool) -> [Int] {
        let lanes = SparseRuns.roundedUp(batch)
        let transposes = [inputs, outputs, outputs] + (inputGradient ? [inputs] : [])
        return transposes.map { $0 * lanes * MemoryLayout<Float>.stride } + [kept * MemoryLayout<Int32>.stride]
    }
}
