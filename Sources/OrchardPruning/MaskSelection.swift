/// Turns scores into a mask: top-k within each layer, or one threshold across layers.
public enum MaskSelection {
    /// Keeps the `keptCounts[l]` best-scored entries of each layer (ties: lower index first).
    public static func layerwise(_ scores: ModelScores, keptCounts: [Int]) -> ModelMask {
        precondition(
            keptCounts.count == scores.names.count, "\(keptCounts.count) counts for \(scores.names.count) layers")
        return ModelMask(
            scores.names.indices.map { layer in
                let kept = Ranking.top(keptCounts[layer], of: scores.values[layer])
                return (name: scores.names[layer], mask: TensorMask(shape: scores.shapes[layer], activeIndices: kept))
            })
    }

    /// Keeps `kept` entries over all layers: each layer's minimum first, then the best of the rest.
    ///
    /// The rest are chosen by one threshold over all layers' scores, as a global magnitude or
    /// score pruning does; entries tied at the threshold go to the earlier layer, then the lower index.
    /// - Throws: `PruningError` if the layer minimums alone exceed `kept`.
    public static func global(_ scores: ModelScores, kept: Int, minimum: LayerMinimum) throws -> ModelMask {
        let sizes = scores.shapes.map { $0.reduce(1, *) }
        let minimums = sizes.map { minimum.keptCount(of: $0) }
        let reserved = minimums.reduce(0, +)
        let total = sizes.reduce(0, +)
        guard reserved <= kept else {
            throw PruningError(
                "the per-layer minimums (at least \(minimum.count) weights or \(minimum.fraction) of each layer) "
                    + "keep \(reserved) weights, more than the \(kept) the density allows; lower the minimum")
        }
        var taken = scores.values.indices.map { layer in
            var flags = [Bool](repeating: false, count: sizes[layer])
            for index in Ranking.top(minimums[layer], of: scores.values[layer]) { flags[Int(index)] = true }
            return flags
        }
        var remaining = min(kept, total) - reserved
        if remaining > 0 {
            var keys: [Float] = []
            keys.reserveCapacity(total - reserved)
            for layer in scores.values.indices {
                for (index, score) in scores.values[layer].enumerated() where !taken[layer][index] {
                    keys.append(Ranking.key(score))
                }
            }
            keys.sort(by: >)
            let threshold = keys[remaining - 1]
            // Strictly better entries all fit; the ties at the threshold fill what is left, in order.
            for layer in scores.values.indices {
                for (index, score) in scores.values[layer].enumerated()
                where !taken[layer][index] && Ranking.key(score) > threshold {
                    taken[layer][index] = true
                    remaining -= 1
                }
            }
            for layer in scores.values.indices where remaining > 0 {
                for (index, score) in scores.values[layer].enumerated()
                where remaining > 0 && !taken[layer][index] && Ranking.key(score) == threshold {
                    taken[layer][index] = true
                    remaining -= 1
                }
            }
        }
        return ModelMask(
            scores.names.indices.map { layer in
                (name: scores.names[layer], mask: TensorMask(shape: scores.shapes[layer], kept: taken[layer]))
            })
    }

    /// The mask a plan keeps for the given scores of the given layers.
    public static func select(_ scores: ModelScores, layers: PrunableLayers, plan: PruningPlan) throws -> ModelMask {
        precondition(scores.names == layers.names, "scores for \(scores.names), layers \(layers.names)")
        switch plan.allocation {
        case .layerwise:
            return layerwise(scores, keptCounts: try plan.keptCounts(layers))
        case .global(let minimum):
            return try global(
                scores, kept: try layers.keptBudget(density: plan.density, budget: plan.budget), minimum: minimum)
        }
    }
}
