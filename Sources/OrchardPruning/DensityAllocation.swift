/// How a density target is spread over the prunable layers before any score is looked at.
///
/// The raw values are the words a topology's `distribution` setting and `orchard bench step
/// --distribution` take.
public enum DensityDistribution: String, Sendable, Equatable, CaseIterable {
    /// Every layer at the same density.
    case uniform
    /// Erdős–Rényi: density proportional to `(n_out + n_in) / (n_out * n_in)` (first two dimensions).
    case erdosRenyi = "er"
    /// Erdős–Rényi-Kernel (RigL): density proportional to `sum(shape) / prod(shape)` over all dimensions.
    case erdosRenyiKernel = "erk"
}

/// Layer-wise densities for a distribution, computed as FedPruning's `SparseModel` does.
public enum DensityAllocation {
    /// The density of each layer, so that the layers together keep about `density` of their weights.
    ///
    /// ER and ERK find ε with `Σ ε·raw_l·N_l = budget` over the layers not yet dense; while the
    /// largest `ε·raw_l` exceeds 1, every layer with the largest raw score becomes dense (density
    /// 1), its zeros come off the budget, and ε is solved again. The budget counts `int(N·d)` ones
    /// of each sparse layer and `int(N·(1-d))` zeros of each dense one, as FedPruning rounds.
    /// - Parameters:
    ///   - shapes: the prunable weights' shapes, [out, in, ...].
    ///   - density: the density of the prunable weights taken together (FedPruning's "real" density).
    public static func densities(_ distribution: DensityDistribution, shapes: [[Int]], density: Double) -> [Double] {
        guard distribution != .uniform else { return shapes.map { _ in density } }
        let raw = shapes.map { shape -> Double in
            switch distribution {
            case .uniform: return 1
            case .erdosRenyi:
                let outputs = Double(shape[0])
                let inputs = Double(shape.count > 1 ? shape[1] : 1)
                return (outputs + inputs) / (outputs * inputs)
            case .erdosRenyiKernel:
                return Double(shape.reduce(0, +)) / Double(shape.reduce(1, *))
            }
        }
        var dense = Set<Int>()
        var epsilon = 0.0
        while true {
            var budget = 0.0
            var divisor = 0.0
            for (layer, shape) in shapes.enumerated() {
                let count = Double(shape.reduce(1, *))
                if dense.contains(layer) {
                    budget -= (count * (1 - density)).rounded(.towardZero)
                } else {
                    budget += (count * density).rounded(.towardZero)
                    divisor += raw[layer] * count
                }
            }
            guard divisor > 0 else { break }
            epsilon = budget / divisor
            let largest = shapes.indices.filter { !dense.contains($0) }.map { raw[$0] }.max() ?? 0
            if largest * epsilon <= 1 { break }
            for layer in shapes.indices where !dense.contains(layer) && raw[layer] == largest { dense.insert(layer) }
        }
        return shapes.indices.map { dense.contains($0) ? 1 : epsilon * raw[$0] }
    }

    /// The weights each layer keeps at its density: `int(N·d)`, as FedPruning rounds.
    public static func keptCounts(shapes: [[Int]], densities: [Double]) -> [Int] {
        precondition(shapes.count == densities.count, "\(densities.count) densities for \(shapes.count) layers")
        return zip(shapes, densities).map { shape, density in
            let count = shape.reduce(1, *)
            return min(count, max(0, Int(Double(count) * density)))
        }
    }
}

/// The fewest weights global selection leaves in a layer, so that no layer collapses.
public struct LayerMinimum: Sendable, Equatable {
    /// A fraction of the layer's weights to keep at least.
    public var fraction: Double
    /// A number of weights to keep at least.
    public var count: Int

    /// Keeps at least `max(count, int(fraction·N))` weights of a layer of N (all of them if fewer).
    public init(fraction: Double = 0.01, count: Int = 1) {
        self.fraction = fraction
        self.count = count
    }

    /// The minimum for a layer of `elements` weights.
    public func keptCount(of elements: Int) -> Int {
        min(elements, max(count, Int(fraction * Double(elements))))
    }
}

/// How a mask's kept weights are shared among the layers.
public enum MaskAllocation: Sendable, Equatable {
    /// Each layer keeps its top-scored weights at the density the distribution gives it.
    case layerwise(DensityDistribution)
    /// One score threshold across all layers, after each layer's minimum is kept.
    case global(minimum: LayerMinimum)
}
