import OrchardTensor

/// A convolution, a ReLU and a 2x2 max pool of stride 2 in a row, run as one pass while the
/// convolution's weight is compact.
///
/// `Sequential` finds such runs when it is built and hands them to a block; the three layers stay
/// in the chain under their names (parameters keep names such as `conv1.weight`), and run apart
/// while the weight is dense or masked. Fused, the sparse kernel pools its wide output while it is
/// in cache (`SparseConvolutionKernel.forwardPooled`): the full-size activation, the ReLU's output
/// and both their gradients are never formed, which in LeNet-5 at 5% cost more than the sparse
/// convolutions' arithmetic. The block keeps the pooled output and, when the convolution needs
/// it, its input gradient; the kernel keeps one byte per window.
final class ConvolutionPoolingBlock {
    let convolution: Conv2d
    private var output: Tensor?
    private var inputGradient: Tensor?

    /// A block for these three layers, or nil unless they are a convolution, a ReLU and a max pool
    /// with a 2x2 window of stride 2.
    init?(_ convolution: any Layer, _ rectifier: any Layer, _ pool: any Layer) {
        guard let convolution = convolution as? Conv2d, rectifier is ReLU, let pool = pool as? MaxPool2d,
            pool.kernelSize == 2 && pool.stride == 2
        else { return nil }
        self.convolution = convolution
    }

    /// Whether the three layers run fused now: the convolution's weight is compact.
    var isFused: Bool { convolution.weight.isCompact }

    var flops: FLOPCount { convolution.flops }

    /// The pooled shape for an input shape.
    func outputShape(for inputShape: [Int]) -> [Int] {
        let shape = convolution.outputShape(for: inputShape)
        return [shape[0], shape[1], shape[2] / 2, shape[3] / 2]
    }

    func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let output = Tensor.reusing(self.output, shape: outputShape(for: input.shape))
        self.output = output
        convolution.sparsePooledForward(input, mode: mode, into: output)
        return output
    }

    func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let input = convolution.input else { preconditionFailure("Conv2d.backward without a training forward") }
        var gradient: Tensor?
        if convolution.needsInputGradient {
            gradient = Tensor.reusing(inputGradient, shape: input.shape)
            inputGradient = gradient
        }
        convolution.sparsePooledBackward(outputGradient, into: gradient)
        return gradient
    }

    /// The pooled output, dX when needed, and the sparse kernel's workspaces (winners included).
    func trainingTensors(inputShape: [Int]) -> [Int] {
        let g = convolution.geometry(inputShape)
        let kept = convolution.weight.pattern?.count ?? 0
        return [tensorBytes(outputShape(for: inputShape))]
            + (convolution.needsInputGradient ? [tensorBytes(inputShape)] : [])
            + convolution.sparseTrainingTensors(g, batch: inputShape[1], kept: kept, pooled: true)
    }
}
