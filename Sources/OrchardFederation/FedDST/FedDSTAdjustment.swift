import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor

/// A FedDST client's own mask update: RigL's prune-and-grow on the sparse model it holds.
///
/// Per pruned layer, `k = int(fraction · active)`: drop the k kept weights of smallest |w|, then
/// grow the k positions of largest |g| among those now pruned (the just-dropped included), g the
/// gradient of one batch. The gradient at pruned positions comes from the layer tile by tile
/// (`TopKSelection`), so no dense gradient is held; grown weights start at zero, as RigL does.
enum FedDSTAdjustment {
    /// The bytes the update adds to training at its peak: the kept values' ranking (index and
    /// magnitude per kept weight) and the top-K heap and tile of the largest layer.
    static func bufferBytes(_ network: Network, fraction: Double, batch: Int) -> Int {
        network.prunableLayers(batch: batch).reduce(0) { largest, entry in
            guard let pattern = entry.layer.weight.pattern else { return largest }
            let k = PruneAndGrow.adjustmentCount(active: pattern.count, fraction: fraction)
            let pruned = entry.layer.weight.denseCount - pattern.count + k
            let bytes = (pattern.count + k) * TopKSelection.bytesPerEntry + PositionGradient.tileBytes(pruned)
            return max(largest, bytes)
        }
    }

    /// Updates every pruned layer's mask from the gradient of one batch of `data` (the first of an
    /// order shuffled by `random`); returns the positions grown per layer and the pass's FLOPs.
    static func adjust(
        _ network: Network, data: Dataset, batch: Int, fraction: Double, storage: SparseStorage,
        random: RandomStream
    ) throws -> (grown: [String: [Int32]], flops: FLOPCount) {
        var order = BatchOrder(count: data.count, batchSize: batch, shuffle: random)
        let flops = PositionGradient.backward(network, data: data, indices: order.nextBatch())
        var masks: [String: [Int32]] = [:]
        var grownByName: [String: [Int32]] = [:]
        // Every layer is chosen from the same pass before any mask changes.
        for entry in network.prunableLayers(batch: batch) {
            let weight = entry.layer.weight
            guard let pattern = weight.pattern else { continue }
            let kept = pattern.flatIndices
            let k = PruneAndGrow.adjustmentCount(active: kept.count, fraction: fraction)
            guard k > 0 else { continue }
            let values = keptValues(weight)
            let magnitudes = values.map { $0.isNaN ? -Float.infinity : abs($0) }
            // Smallest |w| first, then the lower position.
            let ranked = kept.indices.sorted {
                magnitudes[$0] != magnitudes[$1] ? magnitudes[$0] < magnitudes[$1] : $0 < $1
            }
            let dropped = Set(ranked.prefix(k))
            let survivors = kept.indices.filter { !dropped.contains($0) }.map { kept[$0] }
            let survivorMask = TensorMask(shape: weight.shape, activeIndices: survivors)
            let pruned = weight.denseCount - survivors.count
            let selection = try TopKSelection(
                k: k, of: survivorMask, budgetBytes: (k + min(pruned, PositionGradient.tilePositions)) * 8,
                gradient: try PositionGradient.closure(entry.layer, name: entry.name))
            let grown = selection.entries.map(\.index).sorted()
            masks[entry.name] = (survivors + grown).sorted()
            grownByName[entry.name] = grown
        }
        try network.applyMasks(masks, batch: batch, storage: storage)
        for entry in network.prunableLayers(batch: batch) {
            guard let grown = grownByName[entry.name] else { continue }
            zero(grown, of: entry.layer.weight)
        }
        return (grownByName, flops)
    }

    /// The kept values of a pruned weight, in the order of its positions.
    static func keptValues(_ weight: Parameter) -> [Float] {
        guard let pattern = weight.pattern else { return weight.value.values }
        if weight.isCompact { return weight.value.values }
        let value = weight.value
        return pattern.flatIndices.map { value[Int($0)] }
    }

    /// Sets the weight (and any momentum) to zero at kept flat positions: a position dropped and
    /// grown back in one step would otherwise keep its old value.
    static func zero(_ positions: [Int32], of weight: Parameter) {
        guard let pattern = weight.pattern else { return }
        let kept = pattern.flatIndices
        for position in positions {
            var slot = Int(position)
            if weight.isCompact {
                guard let found = binarySearch(kept, position) else { continue }
                slot = found
            }
            weight.value[slot] = 0
            weight.momentum?[slot] = 0
        }
    }

    private static func binarySearch(_ sorted: [Int32], _ value: Int32) -> Int? {
        var (low, high) = (0, sorted.count)
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] == value { return middle }
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}
