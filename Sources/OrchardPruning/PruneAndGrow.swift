import OrchardNN
import OrchardTensor

/// A new mask of one tensor and the positions that changed, so that optimizer state can follow.
public struct MaskChange: Sendable, Equatable {
    /// The mask after the step.
    public let mask: TensorMask
    /// Positions pruned by the step, ascending.
    public let pruned: [Int32]
    /// Positions grown by the step, ascending; a position pruned and regrown in the same step is in
    /// both lists (its weight is now zero, so its optimizer state should be reset too).
    public let grown: [Int32]
}

/// The prune-and-grow steps of FedPruning's `sparse_update_step` on dense weights.
///
/// Every step zeroes the weights at positions the new mask drops and at the positions it grows,
/// so grown weights start from zero (as the original FedTiny code does) and the weight tensor
/// agrees with the mask afterwards. Ties are broken by lower flat index: among equal |w| the
/// lower index is pruned first, among equal |score| the lower index is grown first.
public enum PruneAndGrow {
    /// How a fractional number of weights to move becomes a count.
    public enum Rounding: String, Sendable, CaseIterable {
        /// `int(f · active)`, as FedPruning's `sparse_update_step` truncates: a layer with fewer
        /// than 1/f kept weights never moves.
        case down
        /// `ceil(f · active)`, as the original FedTiny code rounds: every layer moves at least one
        /// weight while f is above zero.
        case up
    }

    /// The number of weights to move in a layer: `int(fraction · active)`, or its ceiling when
    /// `rounding` is `.up`; never more than `active`, and 0 when the fraction is 0.
    public static func adjustmentCount(active: Int, fraction: Double, rounding: Rounding = .down) -> Int {
        let exact = max(0, fraction) * Double(max(0, active))
        guard exact.isFinite else { return 0 }
        let rounded = rounding == .up ? exact.rounded(.up) : exact.rounded(.towardZero)
        return max(0, min(active, Int(rounded)))
    }

    /// Prunes the `count` active weights of smallest |w|, then grows the `count` inactive
    /// positions (just-pruned ones included) of largest |score|; the active count is unchanged.
    public static func update(_ mask: TensorMask, weights: Tensor, growthScores: [Float], count: Int) -> MaskChange {
        let afterPruning = pruneOnly(mask, weights: weights, count: count)
        let afterGrowth = grow(afterPruning.mask, weights: weights, growthScores: growthScores, count: count)
        return MaskChange(mask: afterGrowth.mask, pruned: afterPruning.pruned, grown: afterGrowth.grown)
    }

    /// Prunes the `count` active weights of smallest |w| (FedPruning's `sparse_pruning_step`).
    public static func pruneOnly(_ mask: TensorMask, weights: Tensor, count: Int) -> MaskChange {
        precondition(
            weights.count == mask.elementCount, "weights of \(weights.count) for a mask of \(mask.elementCount)")
        let removed = min(max(count, 0), mask.count)
        // Smallest |w| first, NaN before every number, then the lower index.
        let magnitudes = weights.values.map { $0.isNaN ? -Float.infinity : abs($0) }
        let order = mask.activeIndices.sorted {
            let (a, b) = (magnitudes[Int($0)], magnitudes[Int($1)])
            return a != b ? a < b : $0 < $1
        }
        let prunedSet = Set(order.prefix(removed))
        let kept = mask.activeIndices.filter { !prunedSet.contains($0) }
        let pruned = prunedSet.sorted()
        for index in pruned { weights[Int(index)] = 0 }
        return MaskChange(mask: TensorMask(shape: mask.shape, activeIndices: kept), pruned: pruned, grown: [])
    }

    /// Grows inactive positions of largest |score| until the mask keeps `target` weights
    /// (FedPruning's `sparse_growing_step`); a mask already at or above `target` is unchanged.
    public static func growTo(_ mask: TensorMask, weights: Tensor, growthScores: [Float], target: Int) -> MaskChange {
        grow(mask, weights: weights, growthScores: growthScores, count: min(target, mask.elementCount) - mask.count)
    }

    private static func grow(_ mask: TensorMask, weights: Tensor, growthScores: [Float], count: Int) -> MaskChange {
        precondition(growthScores.count == mask.elementCount, "\(growthScores.count) scores for \(mask.elementCount)")
        guard count > 0 else { return MaskChange(mask: mask, pruned: [], grown: []) }
        let magnitudes = growthScores.map(abs)
        let grown = Ranking.top(count, of: magnitudes, among: mask.inactiveIndices)
        for index in grown { weights[Int(index)] = 0 }
        let merged = (mask.activeIndices + grown).sorted()
        return MaskChange(mask: TensorMask(shape: mask.shape, activeIndices: merged), pruned: [], grown: grown)
    }

    /// One prune-and-grow step on every masked tensor of a network, moving `int(fraction · active)`
    /// weights per layer, with the growth scores of each masked tensor (usually the averaged gradient).
    /// - Precondition: the network has every masked tensor and `growthScores` scores each of them.
    public static func update(_ mask: ModelMask, network: Network, growthScores: ModelScores, fraction: Double)
        -> (mask: ModelMask, changes: [MaskChange])
    {
        var changes: [MaskChange] = []
        for (name, layerMask) in mask.entries {
            guard let parameter = network.parameter(named: name), let scores = growthScores[name] else {
                preconditionFailure("no weights or growth scores for \(name)")
            }
            let count = adjustmentCount(active: layerMask.count, fraction: fraction)
            changes.append(update(layerMask, weights: parameter.value, growthScores: scores, count: count))
        }
        return (ModelMask(zip(mask.names, changes).map { (name: $0, mask: $1.mask) }), changes)
    }
}
