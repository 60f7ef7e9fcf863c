import OrchardNN

/// Which weight tensors of a network may be pruned.
///
/// Only the weights of linear and convolutional layers (`ParameterKind.weight` with two or more
/// dimensions) are prunable; biases and batch-norm tensors always stay dense, as in FedPruning.
public struct PrunableSelection: Sendable, Equatable {
    /// Whether the first prunable weight (the stem convolution) is prunable; FedPruning HEAD prunes it.
    public var includeFirstLayer: Bool
    /// Whether the last prunable weight (the classifier) is prunable; FedPruning HEAD prunes it.
    public var includeLastLayer: Bool

    public init(includeFirstLayer: Bool = true, includeLastLayer: Bool = true) {
        self.includeFirstLayer = includeFirstLayer
        self.includeLastLayer = includeLastLayer
    }
}

/// A prunable weight tensor of a network.
public struct PrunableTensor {
    /// The parameter's name, such as `layer2.0.conv1.weight`.
    public let name: String
    /// The parameter, whose dense `value` the criteria read and the masks zero.
    public let parameter: Parameter

    /// The weight's shape.
    public var shape: [Int] { parameter.shape }
    /// The weight's number of entries.
    public var count: Int { parameter.denseCount }
}

/// The prunable weights of a network, in its parameter order, and the trained values left dense.
public struct PrunableLayers {
    /// The prunable weights, in the network's parameter order.
    public let entries: [PrunableTensor]
    /// Trained values that stay dense (biases, batch-norm scales and shifts, excluded weights).
    public let denseCount: Int
    /// All trained values, as PyTorch's `sum(p.numel() for p in model.parameters())`.
    public let totalCount: Int

    /// Selects the prunable weights of a network.
    public init(_ network: Network, selection: PrunableSelection = PrunableSelection()) {
        let weights = network.parameters.filter { $0.parameter.kind == .weight && $0.parameter.shape.count >= 2 }
        var chosen = weights
        if !selection.includeLastLayer, !chosen.isEmpty { chosen.removeLast() }
        if !selection.includeFirstLayer, !chosen.isEmpty, chosen.first?.name == weights.first?.name {
            chosen.removeFirst()
        }
        entries = chosen.map { PrunableTensor(name: $0.name, parameter: $0.parameter) }
        totalCount = network.trainableCount
        denseCount = totalCount - entries.reduce(0) { $0 + $1.count }
    }

    /// The prunable weights' names.
    public var names: [String] { entries.map(\.name) }
    /// The prunable weights' shapes.
    public var shapes: [[Int]] { entries.map(\.shape) }
    /// The number of prunable values.
    public var prunableCount: Int { entries.reduce(0) { $0 + $1.count } }

    /// The number of prunable weights to keep for a target density.
    ///
    /// Over all parameters (FedPruning): `int(d * totalCount) - denseCount`, which must be positive.
    /// Over the prunable weights only: `int(d * prunableCount)`.
    /// - Throws: `PruningError` if the density is outside (0, 1] or the dense values exceed the budget.
    public func keptBudget(density: Double, budget: DensityBudget) throws -> Int {
        guard density > 0 && density <= 1 else { throw PruningError("target density \(density) is outside (0, 1]") }
        switch budget {
        case .overAllParameters:
            let remaining = Int(density * Double(totalCount))
            let sparse = remaining - denseCount
            guard sparse > 0 else {
                throw PruningError(
                    "target density \(density) over all \(totalCount) parameters keeps \(remaining), but \(denseCount) "
                        + "dense parameters (biases, batch norm, unpruned layers) already take that budget: "
                        + "\(sparse) left for the \(prunableCount) prunable weights; raise the density above "
                        + "\(Double(denseCount + 1) / Double(totalCount)) or budget over prunable weights only")
            }
            return min(sparse, prunableCount)
        case .overPrunableParameters:
            return Int(density * Double(prunableCount))
        }
    }

    /// The density of the prunable weights that a target density leaves (the "real" density of FedPruning).
    ///
    /// Over all parameters this is `(d · totalCount − denseCount) / prunableCount`, without
    /// truncating `d · totalCount`: that is what reproduces FedPruning's ERK test vector (real
    /// density 0.09416 and 16,383 kept weights for resnet14 at 0.1), while `keptBudget` checks
    /// the truncated `int(d · totalCount)` as FedPruning's assertion does.
    /// - Throws: `PruningError` as `keptBudget` does.
    public func sparseDensity(density: Double, budget: DensityBudget) throws -> Double {
        _ = try keptBudget(density: density, budget: budget)
        guard prunableCount > 0 else { return 1 }
        switch budget {
        case .overAllParameters:
            return min(1, (density * Double(totalCount) - Double(denseCount)) / Double(prunableCount))
        case .overPrunableParameters:
            return density
        }
    }
}

/// What a target density is a fraction of.
public enum DensityBudget: Sendable, Equatable {
    /// All trained parameters, dense ones included (FedPruning's `num_remain = int(d * N_total)`).
    case overAllParameters
    /// The prunable weights only.
    case overPrunableParameters
}
