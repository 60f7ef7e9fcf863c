import OrchardTensor

/// The residual block of ResNet-18 and the CIFAR ResNets: relu(bn2(conv2(relu(bn1(conv1(x))))) + s(x)).
///
/// The shortcut s is the identity, or a 1x1 convolution with batch norm (`downsample`) when the
/// block changes the resolution or the channel count.
///
/// The block's own passes fuse each rectifier (and the shortcut's addition) into the batch norm
/// before it, which saves three passes over the activations and three activation-sized tensors
/// per block; `relu1` and `relu2` stay for passes that walk the block layer by layer.
public final class BasicBlock: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm
    public let relu1 = ReLU()
    public let conv2: Conv2d
    public let bn2: BatchNorm
    public let downsample: Sequential?
    public let relu2 = ReLU()
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
            downsample = Sequential([("0", projection), ("1", BatchNorm(outputs))])
        } else {
            downsample = nil
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
        let inner = bn1.forward(conv1.forward(input, mode: mode), mode: mode, rectifying: true)
        let main = conv2.forward(inner, mode: mode)
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
        Elementwise.reluBackward(output.data, outputGradient.data, sumGradient.data, count: output.count)
        var main: Tensor? = sumGradient
        for layer in mainPath.reversed() { main = main.flatMap { layer.backward($0) } }
        let shortcut = downsample.map { $0.backward(sumGradient) } ?? sumGradient
        flops.backward =
            mainPath.reduce(0) { $0 + $1.flops.backward } + (downsample?.flops.backward ?? 0) + output.count
        guard let main, let shortcut else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: main.shape)
        self.inputGradient = inputGradient
        Elementwise.add(main.data, shortcut.data, inputGradient.data, count: inputGradient.count)
        flops.backward += inputGradient.count
        return inputGradient
    }

    /// Its layers' tensors, the sum's gradient, and dX when both paths give one.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        var shape = inputShape
        var tensors = downsample?.trainingTensors(inputShape: inputShape) ?? []
        for layer in mainPath {
            tensors += layer.trainingTensors(inputShape: shape)
            shape = layer.outputShape(for: shape)
        }
        tensors.append(tensorBytes(shape))
        if needsInputGradient && downsample?.needsInputGradient ?? true { tensors.append(tensorBytes(inputShape)) }
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
