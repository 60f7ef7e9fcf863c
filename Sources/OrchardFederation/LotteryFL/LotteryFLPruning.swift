import OrchardNN
import OrchardTensor

/// A LotteryFL client's pruning step: per prunable layer, drop the smallest magnitudes.
///
/// A layer of `n` weights keeps at least its target `max(1, ⌈density · n⌉)`. A layer holding `c`
/// weights above its target drops `min(c - target, max(1, ⌊rate · c⌋))` of them, the smallest |w|
/// first (the lower position first among equal magnitudes), so the last step lands on the target
/// exactly instead of passing it.
enum LotteryFLPruning {
    /// The weights a layer of `total` keeps at the end.
    static func targetCount(total: Int, density: Double) -> Int {
        max(1, min(total, Int((Double(total) * density).rounded(.up))))
    }

    /// The positions a layer keeps after one step from `kept` (ascending) with `values` (one per
    /// kept position), or `kept` itself when the layer is at its target.
    static func step(kept: [Int32], values: [Float], total: Int, density: Double, rate: Double) -> [Int32] {
        let target = targetCount(total: total, density: density)
        guard kept.count > target else { return kept }
        let count = min(kept.count - target, max(1, Int((Double(kept.count) * rate).rounded(.down))))
        let magnitudes = values.map { $0.isNaN ? -Float.infinity : abs($0) }
        let ranked = kept.indices.sorted {
            magnitudes[$0] != magnitudes[$1] ? magnitudes[$0] < magnitudes[$1] : $0 < $1
        }
        let dropped = Set(ranked.prefix(count))
        return kept.indices.filter { !dropped.contains($0) }.map { kept[$0] }
    }

    /// Whether any prunable layer of `network` holds more than its target.
    static func above(_ network: Network, density: Double) -> Bool {
        network.prunableLayers().contains { entry in
            let weight = entry.layer.weight
            return (weight.pattern?.count ?? weight.denseCount)
                > targetCount(total: weight.denseCount, density: density)
        }
    }

    /// Prunes every prunable layer of `network` one step; returns how many weights it dropped.
    static func prune(_ network: Network, density: Double, rate: Double, batch: Int, storage: SparseStorage) throws
        -> Int
    {
        var masks: [String: [Int32]] = [:]
        var dropped = 0
        for entry in network.prunableLayers(batch: batch) {
            let weight = entry.layer.weight
            let kept = weight.pattern?.flatIndices ?? (0..<weight.denseCount).map { Int32($0) }
            let next = step(
                kept: kept, values: FedDSTAdjustment.keptValues(weight), total: weight.denseCount, density: density,
                rate: rate)
            guard next.count < kept.count else { continue }
            masks[entry.name] = next
            dropped += kept.count - next.count
        }
        if !masks.isEmpty { try network.applyMasks(masks, batch: batch, storage: storage) }
        return dropped
    }
}
