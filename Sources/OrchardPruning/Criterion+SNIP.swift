import OrchardNN

extension Criterion {
    /// SNIP scores |g ⊙ w|, g the mean loss gradient on the batches (Lee and others, 2019).
    ///
    /// The network runs in training mode (batch-norm batch statistics), as the reference
    /// implementations do; its running statistics and gradients are restored afterwards, so
    /// scoring has no side effect. Already-zero weights score zero.
    public static func snipScores(_ network: Network, layers: PrunableLayers, batches: ScoringBatches) -> ModelScores {
        let snapshot = ParameterSnapshot(network)
        defer { snapshot.restore() }
        let gradients = LossGradient.compute(network, layers: layers, batches: batches)
        let values = zip(layers.entries, gradients).map { entry, gradient in
            gradient.indices.map { abs(gradient[$0] * entry.parameter.value[$0]) }
        }
        return ModelScores(names: layers.names, shapes: layers.shapes, values: values)
    }
}
