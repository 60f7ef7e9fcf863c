import OrchardTensor

/// Layers applied one after another, each under a name that prefixes its parameters' names.
public final class Sequential: Layer {
    public private(set) var layers: [(name: String, layer: any Layer)]
    public private(set) var flops = FLOPCount.zero
    /// Where to record each entry's time, under `profilePrefix`; nil when not profiling.
    var profile: LayerProfile?
    var profilePrefix = ""

    /// Creates the chain; the first layer's input gradient follows `needsInputGradient`.
    public init(_ layers: [(String, any Layer)]) {
        self.layers = layers.map { (name: $0.0, layer: $0.1) }
    }

    /// Whether the chain's input gradient is computed.
    ///
    /// When it is not, no layer before the first one with parameters computes one either, since
    /// nothing would use it.
    public var needsInputGradient: Bool {
        get { layers.first?.layer.needsInputGradient ?? true }
        set {
            var needed = newValue
            for entry in layers {
                entry.layer.needsInputGradient = needed
                var hasParameters = false
                entry.layer.visitParameters(prefix: "") { _, parameter in
                    hasParameters = hasParameters || parameter.kind.isTrainable
                }
                needed = needed || hasParameters
            }
        }
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.layer.outputShape(for: $0) }
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        var value = input
        var total = FLOPCount.zero
        for entry in layers {
            if let profile {
                value = profile.time(
                    qualified(profilePrefix, entry.name), forward: true, { entry.layer.forward(value, mode: mode) },
                    flops: { entry.layer.flops })
            } else {
                value = entry.layer.forward(value, mode: mode)
            }
            total.forward += entry.layer.flops.forward
        }
        flops = total
        return value
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        var gradient: Tensor? = outputGradient
        var total = 0
        for entry in layers.reversed() {
            guard let current = gradient else { break }
            if let profile {
                gradient = profile.time(
                    qualified(profilePrefix, entry.name), forward: false, { entry.layer.backward(current) },
                    flops: { entry.layer.flops })
            } else {
                gradient = entry.layer.backward(current)
            }
            total += entry.layer.flops.backward
        }
        flops.backward = total
        return gradient
    }

    /// Attaches `profile` to this chain and the chains nested directly in it.
    func attach(_ profile: LayerProfile?, prefix: String) {
        self.profile = profile
        profilePrefix = prefix
        for entry in layers {
            (entry.layer as? Sequential)?.attach(profile, prefix: qualified(prefix, entry.name))
        }
    }

    /// Its layers' tensors, each layer at the shape it gets; the chain itself holds nothing.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        var shape = inputShape
        var tensors: [Int] = []
        for entry in layers {
            tensors += entry.layer.trainingTensors(inputShape: shape)
            shape = entry.layer.outputShape(for: shape)
        }
        return tensors
    }

    public func visitLayers(prefix: String, inputShape: [Int], _ visit: (String, any Layer, [Int]) -> Void) {
        var shape = inputShape
        for entry in layers {
            entry.layer.visitLayers(prefix: qualified(prefix, entry.name), inputShape: shape, visit)
            shape = entry.layer.outputShape(for: shape)
        }
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        for entry in layers { entry.layer.visitParameters(prefix: qualified(prefix, entry.name), visit) }
    }
}
