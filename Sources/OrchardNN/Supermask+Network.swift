import OrchardTensor

extension Supermask {
    /// A network of the same layers in which every linear and convolutional layer is wrapped in a
    /// `Supermask`, its frozen weights and initial scores drawn in the network's order from the
    /// stream (seed, "supermask").
    ///
    /// The layers of `network` move into the new network, which freezes their weights and biases:
    /// `network` must not be used afterwards. Every layer with parameters must be a linear or
    /// convolutional layer in a chain of `Sequential`s; a network with batch norms or residual
    /// blocks is refused, since their parameters would go on training beside the scores.
    /// - Throws: `NetworkError` naming the first layer that cannot be wrapped.
    public static func network(
        wrapping network: Network, weights: SupermaskWeights, sampling: SupermaskSampling,
        initialProbability: Double = 0.5, seed: UInt64
    ) throws -> Network {
        var random = RandomStream(seed: seed, purpose: "supermask")
        let body = try wrapped(
            network.body, prefix: "", weights: weights, sampling: sampling, initialProbability: initialProbability,
            random: &random)
        return Network(name: network.name, sampleShape: network.sampleShape, classes: network.classes, body: body)
    }

    /// The chain with its prunable layers wrapped, recursively.
    private static func wrapped(
        _ chain: Sequential, prefix: String, weights: SupermaskWeights, sampling: SupermaskSampling,
        initialProbability: Double, random: inout RandomStream
    ) throws -> Sequential {
        var layers: [(String, any Layer)] = []
        for (name, layer) in chain.layers {
            let path = qualified(prefix, name)
            if let prunable = layer as? any PrunableLayer {
                let mask = Supermask(
                    wrapping: prunable, weights: weights, sampling: sampling, initialProbability: initialProbability,
                    random: &random)
                layers.append((name, mask))
            } else if let nested = layer as? Sequential {
                let inner = try wrapped(
                    nested, prefix: path, weights: weights, sampling: sampling,
                    initialProbability: initialProbability, random: &random)
                layers.append((name, inner))
            } else {
                var hasParameters = false
                layer.visitParameters(prefix: "") { _, _ in hasParameters = true }
                if hasParameters {
                    throw NetworkError(
                        "layer '\(path)' (\(type(of: layer))) has parameters a supermask does not cover; "
                            + "supermasks need models of linear and convolutional layers only")
                }
                layers.append((name, layer))
            }
        }
        return Sequential(layers)
    }

    /// The supermask layers of a network with the name of each wrapped weight (`fc1.weight`), in
    /// the network's order.
    public static func layers(of network: Network) -> [(name: String, layer: Supermask)] {
        var result: [(name: String, layer: Supermask)] = []
        network.body.visitLayers(prefix: "", inputShape: [1] + network.sampleShape) { name, layer, _ in
            if let mask = layer as? Supermask { result.append((qualified(name, "weight"), mask)) }
        }
        return result
    }
}
