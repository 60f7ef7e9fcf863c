import OrchardNN
import OrchardTensor

/// Gradual magnitude pruning (Zhu and Gupta 2017): shrinks masks by |w| to the densities of a `CubicSchedule`.
public enum GradualMagnitude {
    /// Prunes the smallest-|w| active weights until the mask keeps `int(N · density)`; never grows.
    public static func prune(_ mask: TensorMask, weights: Tensor, density: Double) -> MaskChange {
        let target = Int(Double(mask.elementCount) * min(max(density, 0), 1))
        return PruneAndGrow.pruneOnly(mask, weights: weights, count: mask.count - target)
    }

    /// Prunes every masked tensor of a network to its density (in the mask's order), by |w|.
    /// - Precondition: one density per masked tensor, and the network has every masked tensor.
    public static func prune(_ mask: ModelMask, network: Network, densities: [Double])
        -> (mask: ModelMask, changes: [MaskChange])
    {
        precondition(densities.count == mask.names.count, "\(densities.count) densities for \(mask.names.count) masks")
        let changes = zip(mask.entries, densities).map { entry, density -> MaskChange in
            guard let parameter = network.parameter(named: entry.name) else {
                preconditionFailure("the network has no parameter \(entry.name)")
            }
            return prune(entry.mask, weights: parameter.value, density: density)
        }
        return (ModelMask(zip(mask.names, changes).map { (name: $0, mask: $1.mask) }), changes)
    }
}
