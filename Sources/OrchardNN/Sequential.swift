import OrchardTensor

/// Layers applied one after another, each under a name that prefixes its parameters' names.
///
/// A convolution followed by a ReLU and a 2x2 max pool runs as one `ConvolutionPoolingBlock`
/// while its weight is compact. Otherwise a ReLU after a batch norm is skipped and the batch norm
/// rectifies (`BatchNorm.rectifies`), and one followed by a max pool is skipped and the pool
/// rectifies (`MaxPool2d.rectifying`). The layers and their names stay as given.
public final class Sequential: Layer {
    public private(set) var layers: [(name: String, layer: any Layer)]
    public private(set) var flops = FLOPCount.zero
    /// Where to record each entry's time, under `profilePrefix`; nil when not profiling.
    var profile: LayerProfile?
    var profilePrefix = ""
    /// The block starting at each layer that begins a convolution, ReLU and max pool; nil elsewhere.
    private let blocks: [ConvolutionPoolingBlock?]
    /// The layer that rectifies in place of the ReLU at each index, if it is skipped: the batch
    /// norm before it or else the max pool after it.
    private let skippedRectifiers: [Rectifier?]

    private enum Rectifier {
        /// The batch norm before the ReLU, which counts the rectifier's FLOPs as its own.
        case batchNorm
        /// The max pool after it; the ReLU's FLOPs are counted as if it ran.
        case maxPool
    }
    /// The first layer of each step of the last forward pass, and whether it was a fused block.
    private var steps: [(index: Int, fused: Bool)] = []

    /// Creates the chain; the first layer's input gradient follows `needsInputGradient`.
    public init(_ layers: [(String, any Layer)]) {
        self.layers = layers.map { (name: $0.0, layer: $0.1) }
        blocks = layers.indices.map { index in
            index + 2 < layers.count
                ? ConvolutionPoolingBlock(layers[index].1, layers[index + 1].1, layers[index + 2].1) : nil
        }
        skippedRectifiers = layers.indices.map { index in
            guard layers[index].1 is ReLU else { return nil }
            if index > 0, let norm = layers[index - 1].1 as? BatchNorm {
                norm.rectifies = true
                return .batchNorm
            }
            guard index + 1 < layers.count, let pool = layers[index + 1].1 as? MaxPool2d else { return nil }
            pool.rectifying = true
            return .maxPool
        }
    }

    /// The fused block starting at `index`, if it runs fused now.
    private func fusedBlock(at index: Int) -> ConvolutionPoolingBlock? {
        guard let block = blocks[index], block.isFused else { return nil }
        return block
    }

    /// The profile name of the block at `index`: its three layers' names.
    private func blockName(at index: Int) -> String {
        qualified(profilePrefix, layers[index...index + 2].map(\.name).joined(separator: "+"))
    }

    /// The convolutions that run fused with their ReLU and max pool, in this chain and those nested in it.
    var fusedConvolutions: [Conv2d] {
        layers.indices.flatMap { index in
            (fusedBlock(at: index).map { [$0.convolution] } ?? [])
                + ((layers[index].layer as? Sequential)?.fusedConvolutions ?? [])
        }
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
        steps.removeAll(keepingCapacity: true)
        var index = 0
        while index < layers.count {
            if let block = fusedBlock(at: index) {
                let current = value
                value = timed(blockName(at: index), forward: true, { block.forward(current, mode: mode) }, block.flops)
                total.forward += block.flops.forward
                steps.append((index, true))
                index += 3
                continue
            }
            if let rectifier = skippedRectifiers[index] {
                // A pool rectifying counts no comparisons, so the ReLU still counts them, as if it ran.
                if rectifier == .maxPool { total.forward += value.count }
                steps.append((index, false))
                index += 1
                continue
            }
            let entry = layers[index]
            let current = value
            value = timed(
                qualified(profilePrefix, entry.name), forward: true, { entry.layer.forward(current, mode: mode) },
                entry.layer.flops)
            total.forward += entry.layer.flops.forward
            steps.append((index, false))
            index += 1
        }
        flops = total
        return value
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        var gradient: Tensor? = outputGradient
        var total = 0
        for step in steps.reversed() {
            guard let current = gradient else { break }
            if step.fused, let block = blocks[step.index] {
                gradient = timed(blockName(at: step.index), forward: false, { block.backward(current) }, block.flops)
                total += block.flops.backward
            } else if let rectifier = skippedRectifiers[step.index] {
                if rectifier == .maxPool { total += current.count }
            } else {
                let entry = layers[step.index]
                gradient = timed(
                    qualified(profilePrefix, entry.name), forward: false, { entry.layer.backward(current) },
                    entry.layer.flops)
                total += entry.layer.flops.backward
            }
        }
        flops.backward = total
        return gradient
    }

    /// `body()`, timed under `name` when profiling.
    @inline(__always)
    private func timed<T>(
        _ name: @autoclosure () -> String, forward: Bool, _ body: () -> T, _ flops: @autoclosure () -> FLOPCount
    ) -> T {
        guard let profile else { return body() }
        return profile.time(name(), forward: forward, body, flops: flops)
    }

    /// Attaches `profile` to this chain and the chains nested directly in it.
    func attach(_ profile: LayerProfile?, prefix: String) {
        self.profile = profile
        profilePrefix = prefix
        for entry in layers {
            (entry.layer as? Sequential)?.attach(profile, prefix: qualified(prefix, entry.name))
        }
    }

    /// Its layers' tensors, each layer (or fused block) at the shape it gets; the chain itself holds nothing.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        var shape = inputShape
        var tensors: [Int] = []
        var index = 0
        while index < layers.count {
            if let block = fusedBlock(at: index) {
                tensors += block.trainingTensors(inputShape: shape)
                shape = block.outputShape(for: shape)
                index += 3
                continue
            }
            if skippedRectifiers[index] == nil { tensors += layers[index].layer.trainingTensors(inputShape: shape) }
            shape = layers[index].layer.outputShape(for: shape)
            index += 1
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
