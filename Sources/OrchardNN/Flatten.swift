import OrchardTensor

/// Turns channel-major images [C, N, H, W] into sample rows [N, C * H * W].
///
/// Each row lists a sample's values in (channel, row, column) order, as PyTorch's `flatten(1)` does
/// on [N, C, H, W], so parameter layouts of the following Linear layer match PyTorch's.
public final class Flatten: Layer {
    public var needsInputGradient = true
    public let flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[1], inputShape[0] * inputShape[2] * inputShape[3]]
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        inputShape = input.shape
        let output = Tensor.reusing(self.output, shape: outputShape(for: input.shape))
        self.output = output
        transposeBlocks(
            input.data, outer: input.shape[0], inner: input.shape[1], block: input.shape[2] * input.shape[3],
            into: output.data)
        return output
    }

    /// The output, and dX when needed.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        [tensorBytes(outputShape(for: inputShape))] + (needsInputGradient ? [tensorBytes(inputShape)] : [])
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
        self.inputGradient = inputGradient
        transposeBlocks(
            outputGradient.data, outer: inputShape[1], inner: inputShape[0], block: inputShape[2] * inputShape[3],
            into: inputGradient.data)
        return inputGradient
    }
}

/// Turns sample-major images [N, C, H, W], as data sets hold them, into channel-major [C, N, H, W].
///
/// Convolutions run on channel-major activations so that one GEMM covers many samples; this is the
/// first layer of every convolutional model. With one channel it is a free reshape.
public final class ChannelMajor: Layer {
    public var needsInputGradient = true
    public let flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[1], inputShape[0], inputShape[2], inputShape[3]]
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        inputShape = input.shape
        let shape = outputShape(for: input.shape)
        if input.shape[1] == 1 { return input.reshaped(shape) }
        let output = Tensor.reusing(self.output, shape: shape)
        self.output = output
        transposeBlocks(
            input.data, outer: input.shape[0], inner: input.shape[1], block: input.shape[2] * input.shape[3],
            into: output.data)
        return output
    }

    /// The output and dX when needed, except with one channel, where both are views of their source.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        if inputShape[1] == 1 { return [] }
        return Array(repeating: tensorBytes(inputShape), count: needsInputGradient ? 2 : 1)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        if inputShape[1] == 1 { return outputGradient.reshaped(inputShape) }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
        self.inputGradient = inputGradient
        transposeBlocks(
            outputGradient.data, outer: inputShape[1], inner: inputShape[0], block: inputShape[2] * inputShape[3],
            into: inputGradient.data)
        return inputGradient
    }
}

/// Copies [outer, inner, block] into [inner, outer, block].
func transposeBlocks(
    _ source: UnsafePointer<Float>, outer: Int, inner: Int, block: Int, into target: UnsafeMutablePointer<Float>
) {
    for o in 0..<outer {
        for i in 0..<inner {
            (target + (i * outer + o) * block).update(from: source + (o * inner + i) * block, count: block)
        }
    }
}

/// Views sample-major data [N, ...] as rows [N, features], for models without convolutions.
public final class SampleRows: Layer {
    public var needsInputGradient = true
    public let flops = FLOPCount.zero
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], inputShape.dropFirst().reduce(1, *)] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        inputShape = input.shape
        return input.reshaped(outputShape(for: input.shape))
    }

    /// Nothing: the output and dX are views of the input and of the output gradient.
    public func trainingTensors(inputShape: [Int]) -> [Int] { [] }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        needsInputGradient ? outputGradient.reshaped(inputShape) : nil
    }
}
