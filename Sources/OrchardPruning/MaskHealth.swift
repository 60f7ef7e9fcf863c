import OrchardNN
import OrchardTensor

/// What a network's masks leave connected: each weight layer's kept weights, and the output units
/// that no path of kept weights joins to the input.
///
/// An output unit (a convolution's channel, a linear layer's feature, one of the network's
/// outputs) with no such path computes a constant: its bias, whatever the sample. A classifier
/// whose logit for a class is constant cannot tell that class from the others, so `deadOutputs`
/// of the network caps its accuracy.
public struct MaskHealth: Sendable, Equatable {
    /// One weight layer's figures.
    public struct Layer: Sendable, Equatable {
        /// The weight's name, such as `conv2.weight`.
        public var name: String
        /// The weights the layer keeps: its mask's kept positions, or all of them when dense.
        public var kept: Int
        /// The layer's weights, kept or not.
        public var weights: Int
        /// The layer's output units: channels of a convolution, features of a linear layer.
        public var outputs: Int
        /// The output units no path of kept weights joins to the input.
        public var deadOutputs: Int

        /// A layer's figures.
        public init(name: String, kept: Int, weights: Int, outputs: Int, deadOutputs: Int) {
            self.name = name
            self.kept = kept
            self.weights = weights
            self.outputs = outputs
            self.deadOutputs = deadOutputs
        }
    }

    /// Every layer with a weight (pruned or dense), in the network's order.
    public var layers: [Layer]
    /// The network's outputs (its classes).
    public var outputs: Int
    /// The network's outputs that no path of kept weights joins to the input.
    public var deadOutputs: Int

    /// The figures of a network's current masks; the network is left as it was.
    ///
    /// One all-ones sample runs through the network with every kept weight set to 1, every pruned
    /// one to 0, biases and shifts to 0, and batch norm to the identity (running mean 0, variance 1,
    /// scale 1), and every layer's output clipped to 0 or 1 before the next layer reads it. With
    /// no negative value anywhere nothing cancels, so a unit is positive exactly when some path of
    /// kept weights reaches it from some input position (padding, strides and pooling included).
    /// - Throws: `PruningError` if the network holds a weight layer inside a layer type the pass cannot walk.
    public static func measure(_ network: Network) throws -> MaskHealth {
        // Evaluation passes leave gradients alone, so the values are all there is to restore.
        let saved = network.parameters.map { ($0.parameter, $0.parameter.value.copy()) }
        defer { for (parameter, value) in saved { parameter.value.assign(from: value) } }
        connect(network)
        let entries = network.prunableLayers()
        let names = Dictionary(uniqueKeysWithValues: entries.map { (ObjectIdentifier($0.layer), $0.name) })
        var dead: [String: (outputs: Int, dead: Int)] = [:]
        let input = Tensor(zeros: [1] + network.sampleShape, role: .data)
        input.fill(1)
        let logits = walk(network.body, input) { layer, output in
            if let name = names[ObjectIdentifier(layer)] { dead[name] = deadUnits(output) }
        }
        let layers = try entries.map { entry -> Layer in
            guard let figures = dead[entry.name] else {
                throw PruningError("mask health: \(entry.name) sits in a layer type the pass cannot walk")
            }
            let weight = entry.layer.weight
            return Layer(
                name: entry.name, kept: weight.pattern?.count ?? weight.denseCount, weights: weight.denseCount,
                outputs: figures.outputs, deadOutputs: figures.dead)
        }
        let network = deadUnits(logits)
        return MaskHealth(layers: layers, outputs: network.outputs, deadOutputs: network.dead)
    }

    /// Sets kept weights to 1 and pruned ones to 0, additive terms to 0, and batch norm to the identity.
    private static func connect(_ network: Network) {
        for named in network.parameters {
            let parameter = named.parameter
            switch parameter.kind {
            case .weight:
                let ones = [Float](repeating: 1, count: parameter.denseCount)
                ones.withUnsafeBufferPointer { parameter.assignDense($0.baseAddress!) }
            case .normScale, .runningVariance:
                parameter.value.fill(1)
            case .bias, .normShift, .runningMean:
                parameter.value.fill(0)
            case .randomWeight:
                parameter.value.fill(1)
            case .score:
                // A supermask's scores choose its kept weights: left as they are, they keep its mask.
                break
            }
        }
    }

    /// Runs `layer` on `input`, clipping each innermost layer's output to 0 or 1 and showing it to `record`.
    private static func walk(
        _ layer: any OrchardNN.Layer, _ input: Tensor, record: (any OrchardNN.Layer, Tensor) -> Void
    )
        -> Tensor
    {
        switch layer {
        case let sequential as Sequential:
            return sequential.layers.reduce(input) { walk($1.layer, $0, record: record) }
        case let block as BasicBlock:
            var main = input
            for part in [block.conv1, block.bn1, block.relu1, block.conv2, block.bn2] as [any OrchardNN.Layer] {
                main = walk(part, main, record: record)
            }
            let shortcut = block.downsample.map { walk($0, input, record: record) } ?? input
            let sum = Tensor(zeros: main.shape)
            for index in 0..<sum.count { sum[index] = max(main[index], shortcut[index]) }
            return walk(block.relu2, sum, record: record)
        default:
            let output = layer.forward(input, mode: .evaluation).copy()
            for index in 0..<output.count { output[index] = output[index] > 0 ? 1 : 0 }
            record(layer, output)
            return output
        }
    }

    /// The units of one sample's output, and those that are zero at every position: channels of
    /// a channel-major image [C, 1, H, W], features of rows [1, F].
    private static func deadUnits(_ output: Tensor) -> (outputs: Int, dead: Int) {
        let units = output.shape.count == 4 ? output.shape[0] : (output.shape.last ?? 0)
        guard units > 0 else { return (0, 0) }
        let run = output.count / units
        var dead = 0
        for unit in 0..<units where !(0..<run).contains(where: { output[unit * run + $0] > 0 }) { dead += 1 }
        return (units, dead)
    }
}
