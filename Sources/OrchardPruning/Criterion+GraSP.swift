import OrchardNN

/// Settings of the GraSP criterion.
public struct GraSPOptions: Sendable, Equatable {
    /// Logits are divided by this before the loss, as in the GraSP code (200).
    public var temperature: Float
    /// The finite-difference step, as a fraction of the prunable weights' norm: ε·‖g‖ = step·‖w‖.
    public var relativeStep: Float

    public init(temperature: Float = 200, relativeStep: Float = 1e-3) {
        self.temperature = temperature
        self.relativeStep = relativeStep
    }
}

extension Criterion {
    /// GraSP keep-scores w ⊙ Hg, with g the loss gradient and H the Hessian (Wang and others, 2020).
    ///
    /// GraSP removes the weights whose removal least reduces the gradient flow gᵀHg, that is the
    /// largest `−w ⊙ Hg`; as a keep-score (higher is kept) that is `w ⊙ Hg`. The Hessian-vector
    /// product is a central difference of gradients,
    /// `Hg ≈ (∇L(w + εg) − ∇L(w − εg)) / 2ε`, with ε set so that the step εg has
    /// `options.relativeStep` of the weights' norm; only the prunable weights move, so H is their
    /// Hessian, as GraSP differentiates only the masked weights. The loss is the mean
    /// cross-entropy of `logits / temperature` over the batches, in training mode; every value,
    /// running statistic and gradient of the network is restored afterwards.
    public static func graspScores(
        _ network: Network, layers: PrunableLayers, batches: ScoringBatches, options: GraSPOptions = GraSPOptions()
    ) -> ModelScores {
        let snapshot = ParameterSnapshot(network)
        defer { snapshot.restore() }
        let weights = layers.entries.map { $0.parameter.value.values }
        let gradient = LossGradient.compute(network, layers: layers, batches: batches, temperature: options.temperature)
        func norm(_ arrays: [[Float]]) -> Double {
            arrays.reduce(0) { total, array in array.reduce(total) { $0 + Double($1) * Double($1) } }.squareRoot()
        }
        let (gradientNorm, weightNorm) = (norm(gradient), norm(weights))
        guard gradientNorm > 0 else {
            return ModelScores(names: layers.names, shapes: layers.shapes, values: weights.map { $0.map { _ in 0 } })
        }
        let epsilon = Double(options.relativeStep) * (weightNorm > 0 ? weightNorm : 1) / gradientNorm
        func perturbedGradient(at sign: Double) -> [[Float]] {
            for (layer, entry) in layers.entries.enumerated() {
                let value = entry.parameter.value
                for index in 0..<value.count {
                    value[index] = Float(
                        Double(weights[layer][index]) + sign * epsilon * Double(gradient[layer][index]))
                }
            }
            return LossGradient.compute(network, layers: layers, batches: batches, temperature: options.temperature)
        }
        let (forward, backward) = (perturbedGradient(at: 1), perturbedGradient(at: -1))
        let values = layers.entries.indices.map { layer in
            weights[layer].indices.map { index -> Float in
                let product = (Double(forward[layer][index]) - Double(backward[layer][index])) / (2 * epsilon)
                return Float(Double(weights[layer][index]) * product)
            }
        }
        return ModelScores(names: layers.names, shapes: layers.shapes, values: values)
    }
}
