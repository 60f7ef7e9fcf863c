import OrchardTensor

/// A 2-D convolution over channel-major activations: input [C, N, H, W], output [C', N, H', W'].
///
/// A dense weight runs the path its `ConvolutionPlan` chose for the input's geometry and batch
/// (direct kernels, Winograd, wide rows or im2col), a compact one the sparse kernel
/// (`Conv2d+Sparse.swift`).
public final class Conv2d: PrunableLayer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var needsInputGradient = true
    public internal(set) var flops = FLOPCount.zero

    /// Settings of the dense paths' choice and sizes that tests change (see `ConvolutionPlan.Options`).
    var planOptions = ConvolutionPlan.Options()

    var input: Tensor?
    /// The input shape of the last training forward pass, also when the layer before wrote the
    /// input straight into the sparse kernel's planes and there is no input tensor.
    var inputShape: [Int]?
    var output: Tensor?
    private var inputGradient: Tensor?
    /// The dense path and its workspaces for the last geometry and batch.
    private(set) var plan: ConvolutionPlan?
    /// The output gradient of the last backward pass, which a search over pruned positions reads.
    var outputGradient: Tensor?
    /// The kernels of a compact sparse weight, made for the input geometry in use.
    var sparseKernel: SparseConvolutionKernel?
    /// The per-call buffers its sparse kernel shares with the network's others; nil when standalone.
    var sparseWorkspace: SparseWorkspace?

    /// Creates the layer with weights drawn from `random`; the weight is [out, in, k, k].
    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int = 0, bias: Bool = true, initializer: Initializer = .kaimingUniformDefault,
        random: inout RandomStream
    ) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        weight = Parameter(shape: [outputChannels, inputChannels, kernelSize, kernelSize], kind: .weight)
        self.bias = bias ? Parameter(shape: [outputChannels], kind: .bias) : nil
        let area = kernelSize * kernelSize
        initializer.fill(
            weight: weight.value, bias: self.bias?.value, fanIn: inputChannels * area,
            fanOut: outputChannels * area, random: &random)
    }

    func geometry(_ inputShape: [Int]) -> ConvolutionGeometry {
        ConvolutionGeometry(
            channels: inputChannels, height: inputShape[2], width: inputShape[3],
            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(inputShape)
        return [outputChannels, inputShape[1], g.outputHeight, g.outputWidth]
    }

    /// The dense path and workspaces for `inputShape`: the last plan when it still serves, else
    /// a new one that takes over the last one's tensors.
    func plan(for inputShape: [Int]) -> ConvolutionPlan {
        let g = geometry(inputShape)
        if let plan, plan.matches(g, batch: inputShape[1], inputGradient: needsInputGradient, options: planOptions) {
            return plan
        }
        let plan = ConvolutionPlan(
            geometry: g, batch: inputShape[1], outputChannels: outputChannels, inputGradient: needsInputGradient,
            options: planOptions, previous: self.plan)
        self.plan = plan
        return plan
    }

    /// The dense path `inputShape` takes; nil while the weight is compact.
    func path(for inputShape: [Int]) -> ConvolutionPlan.Path? {
        weight.isCompact ? nil : plan(for: inputShape).path
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(
            input.shape.count == 4 && input.shape[0] == inputChannels,
            "Conv2d(\(inputChannels), \(outputChannels)) got \(input.shape)")
        let g = geometry(input.shape)
        let batch = input.shape[1]
        let plane = g.outputPlane
        let output = Tensor.reusing(self.output, shape: outputShape(for: input.shape))
        self.output = output
        self.input = mode == .training ? input : nil
        inputShape = mode == .training ? input.shape : nil
        if weight.isCompact {
            sparseForward(input, g, into: output)
            return output
        }
        let plan = plan(for: input.shape)
        switch plan.path {
        case .direct: directForward(input, plan, into: output)
        case .winograd: winogradForward(input, plan, into: output)
        case .wide: wideForward(input, plan, into: output)  // adds the bias after compacting
        case .im2col: im2colForward(input, plan, into: output)
        }
        let multiplyAdds = outputChannels * g.patchSize * plane * batch
        flops = FLOPCount(forward: 2 * multiplyAdds + (bias == nil ? 0 : output.count))
        return output
    }

    /// Whether `backward(_:adding:)` can add dX into another tensor without a tensor of its own:
    /// while the weight is compact and dX is asked for.
    public var addsInputGradient: Bool { weight.isCompact && needsInputGradient }

    /// The backward pass, adding dX into `target` (the input's shape) instead of returning it.
    ///
    /// A residual block sums the input gradients of its two paths: the second path to finish adds
    /// into the first one's, which saves a pass over the activations and a tensor of their size.
    /// Needs `addsInputGradient`.
    public func backward(_ outputGradient: Tensor, adding target: Tensor) {
        guard let inputShape else { preconditionFailure("Conv2d.backward without a training forward") }
        precondition(
            addsInputGradient && target.shape == inputShape, "Conv2d.backward(adding:) needs a compact weight")
        self.outputGradient = outputGradient
        // A dX of its own from an earlier storage would stay allocated for nothing.
        inputGradient = nil
        let g = geometry(inputShape)
        biasGradient(outputGradient, g)
        sparseBackward(outputGradient, g, into: target, adding: true)
    }

    /// The bias gradient, the sum of dY over each output channel.
    private func biasGradient(_ outputGradient: Tensor, _ g: ConvolutionGeometry) {
        guard let gradient = bias?.gradient else { return }
        let run = outputGradient.shape[1] * g.outputPlane
        for channel in 0..<outputChannels {
            gradient[channel] = Elementwise.sum(outputGradient.data + channel * run, count: run)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let inputShape else { preconditionFailure("Conv2d.backward without a training forward") }
        self.outputGradient = outputGradient
        let g = geometry(inputShape)
        let batch = inputShape[1]
        let plane = g.outputPlane
        biasGradient(outputGradient, g)
        var inputGradient: Tensor?
        if weight.isCompact {
            if needsInputGradient {
                inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
                self.inputGradient = inputGradient
            }
            sparseBackward(outputGradient, g, into: inputGradient)
            return inputGradient
        }
        guard let input else { preconditionFailure("Conv2d: a dense backward needs the input tensor") }
        let plan = plan(for: inputShape)
        if needsInputGradient {
            let gradient = Tensor.reusing(self.inputGradient, shape: input.shape)
            // The im2col path adds each group's dX into it; the others write all of it.
            if plan.path == .im2col { gradient.zero() }
            self.inputGradient = gradient
            inputGradient = gradient
        }
        switch plan.path {
        case .direct: directBackward(outputGradient, plan)
        case .winograd: winogradBackward(outputGradient, plan, into: inputGradient)
        case .wide: wideBackward(outputGradient, plan, into: inputGradient)
        case .im2col: im2colBackward(input, outputGradient, plan, into: inputGradient)
        }
        weight.maskGradient()
        let multiplyAdds = outputChannels * g.patchSize * plane * batch
        flops.backward = 2 * multiplyAdds * (needsInputGradient ? 2 : 1) + (bias == nil ? 0 : outputGradient.count)
        return inputGradient
    }

    /// The output, dX when needed, and the workspaces of the path this geometry takes: the sparse
    /// kernel's planes when compact, else the buffers of the dense path's `ConvolutionPlan`.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        trainingTensors(inputShape: inputShape, ownsInputGradient: needsInputGradient)
    }

    /// `trainingTensors(inputShape:)`, with a dX tensor only if `ownsInputGradient` (not when
    /// `backward(_:adding:)` adds it into another).
    func trainingTensors(inputShape: [Int], ownsInputGradient: Bool) -> [Int] {
        let g = geometry(inputShape)
        let batch = inputShape[1]
        let tensors =
            [tensorBytes(outputShape(for: inputShape))] + (ownsInputGradient ? [tensorBytes(inputShape)] : [])
        if weight.isCompact, let pattern = weight.pattern {
            return tensors + sparseTrainingTensors(g, batch: batch, kept: pattern.count)
        }
        let plan = ConvolutionPlan(
            geometry: g, batch: batch, outputChannels: outputChannels, inputGradient: needsInputGradient,
            options: planOptions)
        return tensors + plan.tensorBytes
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(qualified(prefix, "weight"), weight)
        if let bias { visit(qualified(prefix, "bias"), bias) }
    }
}
