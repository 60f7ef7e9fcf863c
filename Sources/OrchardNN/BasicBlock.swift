import OrchardTensor

/// The residual block of ResNet-18 and the CIFAR ResNets: relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x)).
///
/// The shortcut s is the identity, or a 1x1 convolution with batch norm (`downsample`) when the
/// block changes the resolution or the channel count.
///
/// The block's own passes fuse each rectifier (and the shortcut's addition) into the batch norm
/// before it, which saves three passes over the activations and three activation-sized tensors
/// per block; `relu1` and `relu2` stay for passes that walk the block layer by layer. With compact
/// weights, bn1 writes straight into conv2's sparse input planes (`Conv2d.inputPlanes(for:)`),
/// and backward a convolution reading the block's input adds its dX into the other path's
/// (`Conv2d.backward(_:adding:)`) instead of the two being summed in a pass of their own; bn2's
/// backward masks by the block's ReLU in the pass that sums (`docs/architecture.md`).
public final class BasicBlock: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm
    public let relu1 = ReLU()
    public let conv2: Conv2d
    public let bn2: BatchNorm
    public let downsample: Sequential?
    public let relu2 = ReLU()
    /// The downsample's convolution and batch norm.
    private let projection: (convolution: Conv2d, norm: BatchNorm)?
    public private(set) var flops = FLOPCount.zero
    private var output: Tensor?
    private var sumGradient: Tensor?
    private var inputGradient: Tensor?

    /// Creates a block from `inputs` to `outputs` channels whose first convolution has `stride`.
    public init(_ inputs: Int, _ outputs: Int, stride: Int, random: inout RandomStream) {
        conv1 = Conv2d(
            inputs, outputs, kernelSize: 3, stride: stride, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
            random: &random)
        bn1 = BatchNorm(outputs)
        conv2 = Conv2d(
            outputs, outputs, kernelSize: 3, stride: 1, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
            random: &random)
        bn2 = BatchNorm(outputs)
        if stride != 1 || inputs != outputs {
            let projection = Conv2d(
                inputs, outputs, kernelSize: 1, stride: stride, bias: false, initializer: .kaimingNormalFanOut,
                random: &random)
            let norm = BatchNorm(outputs)
            downsample = Sequential([("0", projection), ("1", norm)])
            self.projection = (projection, norm)
        } else {
            downsample = nil
            projection = nil
        }
    }

    public var needsInputGradient: Bool {
        get { conv1.needsInputGradient }
        set {
            conv1.needsInputGradient = newValue
            downsample?.needsInputGradient = newValue
        }
    }

    private var mainPath: [any Layer] { [conv1, bn1, conv2, bn2] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        conv2.outputShape(for: conv1.outputShape(for: inputShape))
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let convolved = conv1.forward(input, mode: mode)
        let main: Tensor
        if let planes = conv2.inputPlanes(for: convolved.shape) {
            // bn1 writes straight into the planes of conv2's sparse kernel.
            bn1.forward(convolved, mode: mode, rectifyingInto: planes)
            main = conv2.forward(fromInputPlanes: planes, mode: mode)
        } else {
            main = conv2.forward(bn1.forward(convolved, mode: mode, rectifying: true), mode: mode)
        }
        let shortcut = downsample?.forward(input, mode: mode) ?? input
        let output = bn2.forward(main, mode: mode, rectifying: true, adding: shortcut)
        self.output = output
        flops = FLOPCount(
            forward: mainPath.reduce(0) { $0 + $1.flops.forward } + (downsample?.flops.forward ?? 0))
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let output else { preconditionFailure("BasicBlock.backward before forward") }
        // The sum's gradient, which both paths take: dy where the block's output is positive.
        let sumGradient = Tensor.reusing(self.sumGradient, shape: output.shape)
        self.sumGradient = sumGradient
        // bn2 masks dy into the sum's gradient in the pass that sums it.
        var main = bn2.backward(outputGradient, rectifiedAt: output, masked: sumGradient)
        for layer in [conv2, bn1] as [any Layer] { main = main.flatMap { layer.backward($0) } }
        var summed: Tensor?
        defer {
            // The projection's layers count themselves: the adding path bypasses `downsample`.
            let shortcut = projection.map { $0.convolution.flops.backward + $0.norm.flops.backward } ?? 0
            flops.backward =
                mainPath.reduce(0) { $0 + $1.flops.backward } + shortcut + output.count + (summed?.count ?? 0)
        }
        if let main, let sum = addedInputGradient(main, sumGradient) {
            inputGradient = nil
            summed = sum
            return sum
        }
        main = main.flatMap { conv1.backward($0) }
        let shortcut = downsample.map { $0.backward(sumGradient) } ?? sumGradient
        guard let main, let shortcut else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: main.shape)
        self.inputGradient = inputGradient
        Elementwise.add(main.data, shortcut.data, inputGradient.data, count: inputGradient.count)
        summed = inputGradient
        return inputGradient
    }

    /// The convolution reading the block's input that adds its dX into the other path's, if one can:
    /// conv1 into the identity shortcut's gradient, or the projection into conv1's dX.
    private var addingConvolution: Conv2d? {
        guard let projection else { return conv1.addsInputGradient ? conv1 : nil }
        return projection.convolution.addsInputGradient && conv1.needsInputGradient ? projection.convolution : nil
    }

    /// Finishes backward with one path's dX added into the other's, and returns the sum; nil if
    /// neither convolution can add (`addingConvolution`).
    private func addedInputGradient(_ mainGradient: Tensor, _ sumGradient: Tensor) -> Tensor? {
        guard addingConvolution != nil else { return nil }
        guard let projection else {
            // The shortcut's gradient is the sum's, which nothing reads any more.
            conv1.backward(mainGradient, adding: sumGradient)
            return sumGradient
        }
        guard let inputGradient = conv1.backward(mainGradient),
            let projected = projection.norm.backward(sumGradient)
        else { preconditionFailure("BasicBlock: conv1 and the projection's norm give dX") }
        projection.convolution.backward(projected, adding: inputGradient)
        return inputGradient
    }

    /// Its layers' tensors, the sum's gradient, and dX when both paths give one.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        var shape = inputShape
        let adding = addingConvolution
        var tensors: [Int] = []
        if let projection {
            let convolution = projection.convolution
            tensors = convolution.trainingTensors(
                inputShape: inputShape, ownsInputGradient: convolution.needsInputGradient && adding == nil)
            tensors += projection.norm.trainingTensors(inputShape: convolution.outputShape(for: inputShape))
        }
        tensors += conv1.trainingTensors(
            inputShape: inputShape, ownsInputGradient: conv1.needsInputGradient && adding !== conv1)
        shape = conv1.outputShape(for: shape)
        // bn1's output, unless it writes into conv2's planes (which conv2's kernel counts), and dX.
        tensors += conv2.takesInputPlanes ? [tensorBytes(shape)] : bn1.trainingTensors(inputShape: shape)
        for layer in [conv2, bn2] as [any Layer] {
            tensors += layer.trainingTensors(inputShape: shape)
            shape = layer.outputShape(for: shape)
        }
        tensors.append(tensorBytes(shape))
        if adding == nil && needsInputGradient && downsample?.needsInputGradient ?? true {
            tensors.append(tensorBytes(inputShape))
        }
        return tensors
    }

    public func visitLayers(prefix: String, inputShape: [Int], _ visit: (String, any Layer, [Int]) -> Void) {
        let inner = conv1.outputShape(for: inputShape)
        visit(qualified(prefix, "conv1"), conv1, inputShape)
        visit(qualified(prefix, "bn1"), bn1, inner)
        visit(qualified(prefix, "conv2"), conv2, inner)
        visit(qualified(prefix, "bn2"), bn2, inner)
        downsample?.visitLayers(prefix: qualified(prefix, "downsample"), inputShape: inputShape, visit)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        conv1.visitParameters(prefix: qualified(prefix, "conv1"), visit)
        bn1.visitParameters(prefix: qualified(prefix, "bn1"), visit)
        conv2.visitParameters(prefix: qualified(prefix, "conv2"), visit)
        bn2.visitParameters(prefix: qualified(prefix, "bn2"), visit)
        downsample?.visitParameters(prefix: qualified(prefix, "downsample"), visit)
    }
}
