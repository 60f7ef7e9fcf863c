import OrchardNN

/// Rescales the kept weights of a pruned network so that each layer's output keeps the scale its
/// initialisation gave it.
///
/// An initialisation such as Kaiming's sets the weights' variance for the layer's full fan-in; a
/// layer that keeps a fraction d of its weights sums about d as many terms, so its outputs' variance
/// shrinks by d, and the signal fades layer after layer. Multiplying the kept weights by
/// `1/sqrt(d)` restores the variance.
public enum KeptWeightScaling {
    /// Multiplies the kept weights of every pruned layer of `network` by `1/sqrt(d)`, d the layer's
    /// density; dense layers are left as they are.
    /// - Returns: the factor applied to each pruned weight, by name.
    @discardableResult
    public static func rescale(_ network: Network) -> [String: Float] {
        var factors: [String: Float] = [:]
        for entry in network.prunableLayers() {
            let weight = entry.layer.weight
            guard weight.pattern != nil, weight.density > 0 else { continue }
            let factor = Float(1 / weight.density.squareRoot())
            let value = weight.value
            for index in 0..<value.count { value[index] *= factor }
            factors[entry.name] = factor
        }
        return factors
    }
}
