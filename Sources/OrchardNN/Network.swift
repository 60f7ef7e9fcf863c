import OrchardTensor

/// A named parameter of a network.
public struct NamedParameter {
    public let name: String
    public let parameter: Parameter
}

/// A model: a chain of layers from a batch of samples [N, sample...] to logits [N, classes].
///
/// The network turns off the input gradient of its first layer, since its input is data, and lists
/// its parameters under stable dotted names (`conv1.weight`, `layer2.0.bn1.running_mean`).
public final class Network {
    /// The model's name in the zoo, such as `lenet5`.
    public let name: String
    /// The shape of one input sample, such as [1, 28, 28].
    public let sampleShape: [Int]
    public let classes: Int
    public let body: Sequential
    /// Every parameter and running statistic, in a stable order.
    public let parameters: [NamedParameter]
    /// The per-call buffers of its sparse convolution kernels, one set for all of them: layers run
    /// one at a time, so each layer's wide output and gradients need not outlive its call.
    public let sparseWorkspace = SparseWorkspace()

    public init(name: String, sampleShape: [Int], classes: Int, body: Sequential) {
        self.name = name
        self.sampleShape = sampleShape
        self.classes = classes
        self.body = body
        body.needsInputGradient = false
        var parameters: [NamedParameter] = []
        body.visitParameters(prefix: "") { parameters.append(NamedParameter(name: $0, parameter: $1)) }
        self.parameters = parameters
        trainableParameters = parameters.map(\.parameter).filter { $0.kind.isTrainable && !$0.isFrozen }
        trainableCount = trainableParameters.reduce(0) { $0 + $1.denseCount }
        body.visitLayers(prefix: "", inputShape: [1] + sampleShape) { _, layer, _ in
            (layer as? Conv2d)?.sparseWorkspace = sparseWorkspace
        }
    }

    /// Logits [N, classes] of a batch [N, sample...]; valid until the next forward.
    public func forward(_ batch: Tensor, mode: Mode) -> Tensor {
        body.forward(batch, mode: mode)
    }

    /// Writes every trained parameter's gradient from d loss / d logits of the last forward.
    public func backward(_ logitsGradient: Tensor) {
        _ = body.backward(logitsGradient)
    }

    /// Per-layer times of the following steps, when set; nil (the default) costs nothing.
    public var profile: LayerProfile? {
        didSet { body.attach(profile, prefix: "") }
    }

    /// FLOPs of the most recent forward and backward pass.
    public var flops: FLOPCount { body.flops }

    /// The parameters the optimizer trains (not running statistics, nor frozen parameters).
    public let trainableParameters: [Parameter]

    /// The number of trained values, as PyTorch's `sum(p.numel() for p in model.parameters())`.
    ///
    /// Stored, since every training step reads it to count the update's FLOPs.
    public let trainableCount: Int

    /// The number of trained values actually stored: the kept entries of compact sparse weights.
    public var storedTrainableCount: Int { trainableParameters.reduce(0) { $0 + $1.value.count } }

    /// The number of values in the state, running statistics included.
    public var stateCount: Int { parameters.reduce(0) { $0 + $1.parameter.denseCount } }

    /// The parameter with the given name.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }?.parameter
    }
}
