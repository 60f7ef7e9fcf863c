import OrchardNN
import OrchardTensor

/// Copies of every parameter's value and gradient, so that scoring can leave a network as it found it.
///
/// Training-mode passes move batch-norm running statistics and every backward pass overwrites
/// gradients; restoring the snapshot undoes both, bit for bit.
struct ParameterSnapshot {
    private let saved: [(parameter: Parameter, value: Tensor, gradient: Tensor?)]

    init(_ network: Network) {
        saved = network.parameters.map { ($0.parameter, $0.parameter.value.copy(), $0.parameter.gradient?.copy()) }
    }

    /// Writes the saved values and gradients back.
    func restore() {
        for entry in saved {
            entry.parameter.value.assign(from: entry.value)
            if let gradient = entry.gradient { entry.parameter.gradient?.assign(from: gradient) }
        }
    }
}

/// The mean loss gradient of a network's prunable weights over scoring batches, in training mode.
enum LossGradient {
    /// The gradient of the sample-weighted mean softmax cross-entropy of `logits / temperature`.
    ///
    /// Batch norm runs in training mode (batch statistics), as SNIP and GraSP do in PyTorch; the
    /// caller restores the running statistics this moves.
    static func compute(
        _ network: Network, layers: PrunableLayers, batches: ScoringBatches, temperature: Float = 1
    ) -> [[Float]] {
        let criterion = SoftmaxCrossEntropy()
        var sums = layers.entries.map { [Double](repeating: 0, count: $0.count) }
        let total = Double(batches.sampleCount)
        for batch in batches.batches {
            let logits = network.forward(batch.input, mode: .training)
            let gradient: Tensor
            if temperature == 1 {
                gradient = batch.labels.withUnsafeBufferPointer { criterion(logits, labels: $0.baseAddress!).gradient }
            } else {
                let scaled = logits.copy()
                for index in 0..<scaled.count { scaled[index] /= temperature }
                gradient = batch.labels.withUnsafeBufferPointer { criterion(scaled, labels: $0.baseAddress!).gradient }
                for index in 0..<gradient.count { gradient[index] /= temperature }
            }
            network.backward(gradient)
            let weight = Double(batch.labels.count) / total
            for (layer, entry) in layers.entries.enumerated() {
                let values = entry.parameter.gradient!
                for index in 0..<entry.count { sums[layer][index] += weight * Double(values[index]) }
            }
        }
        return sums.map { $0.map { Float($0) } }
    }
}
