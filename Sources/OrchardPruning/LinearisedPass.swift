import OrchardNN
import OrchardTensor

/// Forward and backward passes of a network with batch norm as its evaluation-mode affine map.
///
/// SynFlow scores a network in evaluation mode, but the layers of OrchardNN only differentiate
/// after a training-mode forward, and batch norm in training mode would normalise with batch
/// statistics (and move its running ones). So this pass walks the network itself: batch norm
/// becomes `y = γ (x − μ) / sqrt(σ² + ε) + β` with the running statistics, differentiated as
/// the per-channel scale it is, and every other layer runs its own training-mode forward and
/// backward, which for convolution, linear, ReLU, pooling and reshaping layers differ from
/// evaluation mode only in keeping what backward needs.
final class LinearisedPass {
    private let network: Network
    private var normalisationShapes: [ObjectIdentifier: [Int]] = [:]

    /// - Throws: `PruningError` if the network has batch norm inside a layer type the pass cannot walk.
    init(_ network: Network) throws {
        self.network = network
        try Self.check(network.body, name: network.name)
    }

    private static func check(_ layer: any Layer, name: String) throws {
        switch layer {
        case let sequential as Sequential:
            for entry in sequential.layers { try check(entry.layer, name: name + "." + entry.name) }
        case is BasicBlock, is BatchNorm:
            return
        default:
            var normalises = false
            layer.visitParameters(prefix: "") { _, parameter in normalises = normalises || parameter.kind == .normScale
            }
            if normalises {
                throw PruningError("\(name): \(type(of: layer)) holds batch norm that SynFlow's pass cannot linearise")
            }
        }
    }

    /// The logits of a batch.
    func forward(_ input: Tensor) -> Tensor { forward(network.body, input) }

    /// Writes the prunable weights' gradients of `sum(logits · outputGradient)`.
    func backward(_ outputGradient: Tensor) { _ = backward(network.body, outputGradient) }

    private func forward(_ layer: any Layer, _ input: Tensor) -> Tensor {
        switch layer {
        case let sequential as Sequential:
            return sequential.layers.reduce(input) { forward($1.layer, $0) }
        case let block as BasicBlock:
            var main = input
            for part in [block.conv1, block.bn1, block.relu1, block.conv2, block.bn2] as [any Layer] {
                main = forward(part, main)
            }
            let shortcut = block.downsample.map { forward($0, input) } ?? input
            let sum = Tensor(zeros: main.shape)
            for index in 0..<sum.count { sum[index] = main[index] + shortcut[index] }
            return block.relu2.forward(sum, mode: .training)
        case let normalisation as BatchNorm:
            normalisationShapes[ObjectIdentifier(normalisation)] = input.shape
            let (scale, offset) = affine(normalisation)
            let output = Tensor(zeros: input.shape)
            eachChannel(normalisation, input.shape) { channel, index in
                output[index] = input[index] * scale[channel] + offset[channel]
            }
            return output
        default:
            return layer.forward(input, mode: .training)
        }
    }

    private func backward(_ layer: any Layer, _ outputGradient: Tensor) -> Tensor? {
        switch layer {
        case let sequential as Sequential:
            var gradient: Tensor? = outputGradient
            for entry in sequential.layers.reversed() {
                guard let current = gradient else { return nil }
                gradient = backward(entry.layer, current)
            }
            return gradient
        case let block as BasicBlock:
            guard let sumGradient = block.relu2.backward(outputGradient) else { return nil }
            var main: Tensor? = sumGradient
            for part in [block.conv1, block.bn1, block.relu1, block.conv2, block.bn2].reversed() as [any Layer] {
                main = main.flatMap { backward(part, $0) }
            }
            let shortcut = block.downsample.map { backward($0, sumGradient) } ?? sumGradient
            guard let main, let shortcut else { return nil }
            let gradient = Tensor(zeros: main.shape)
            for index in 0..<gradient.count { gradient[index] = main[index] + shortcut[index] }
            return gradient
        case let normalisation as BatchNorm:
            guard normalisation.needsInputGradient, let shape = normalisationShapes[ObjectIdentifier(normalisation)]
            else { return nil }
            let (scale, _) = affine(normalisation)
            let gradient = Tensor(zeros: shape)
            eachChannel(normalisation, shape) { channel, index in
                gradient[index] = outputGradient[index] * scale[channel]
            }
            return gradient
        default:
            return layer.backward(outputGradient)
        }
    }

    /// The per-channel scale and offset of batch norm in evaluation mode.
    private func affine(_ normalisation: BatchNorm) -> (scale: [Float], offset: [Float]) {
        var scale = [Float](repeating: 0, count: normalisation.features)
        var offset = scale
        for channel in 0..<normalisation.features {
            let variance = normalisation.runningVariance.value[channel]
            scale[channel] = normalisation.scale.value[channel] / (variance + normalisation.epsilon).squareRoot()
            offset[channel] =
                normalisation.shift.value[channel] - normalisation.runningMean.value[channel] * scale[channel]
        }
        return (scale, offset)
    }

    /// Calls `body(channel, flatIndex)` for every element of a channel-major image batch or feature rows.
    private func eachChannel(_ normalisation: BatchNorm, _ shape: [Int], _ body: (Int, Int) -> Void) {
        let count = shape.reduce(1, *)
        if shape.count == 4 {
            let run = count / shape[0]
            for index in 0..<count { body(index / run, index) }
        } else {
            for index in 0..<count { body(index % normalisation.features, index) }
        }
    }
}
