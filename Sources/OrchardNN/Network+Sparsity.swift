import OrchardTensor

/// A layer whose weight can be pruned and then held sparsely.
public protocol PrunableLayer: Layer {
    /// The weight, a matrix of `weight.shape[0]` rows (outputs) once its other dimensions are joined.
    var weight: Parameter { get }
    /// Whether the sparse kernels are expected to beat dense-with-mask compute for this layer at
    /// `density` when it gets inputs of `inputShape`; a fixed rule, so that runs are reproducible.
    func prefersCompact(density: Double, inputShape: [Int]) -> Bool
}

/// How pruned weights are stored.
public enum SparseStorage: String, Sendable, CaseIterable {
    /// Compact below each layer's measured crossover density, masked above it.
    case automatic
    /// Always only the kept entries, with sparse kernels.
    case compact
    /// Always dense values with zeros at pruned positions, with dense kernels.
    case masked
}

/// A prunable layer of a network, by the name of its weight.
public struct PrunableEntry {
    /// The weight's dotted name, such as `layer1.0.conv1.weight`.
    public let name: String
    public let layer: any PrunableLayer
    /// The input shape the layer gets for the batch size asked for.
    public let inputShape: [Int]
}

extension Network {
    /// The layers with a prunable weight, in the network's order, with their inputs for `batch` samples.
    public func prunableLayers(batch: Int = 1) -> [PrunableEntry] {
        var entries: [PrunableEntry] = []
        body.visitLayers(prefix: "", inputShape: [batch] + sampleShape) { name, layer, shape in
            if let layer = layer as? any PrunableLayer {
                entries.append(PrunableEntry(name: qualified(name, "weight"), layer: layer, inputShape: shape))
            }
        }
        return entries
    }

    /// Keeps, for each weight named in `masks`, only the positions listed (flat, ascending); weights
    /// not named stay as they are.
    ///
    /// `batch` is the batch size training will use, which the automatic choice of storage reads.
    /// - Throws: `NetworkError` for a name that is not a prunable weight or an index out of range.
    public func applyMasks(_ masks: [String: [Int32]], batch: Int, storage: SparseStorage = .automatic) throws {
        let entries = prunableLayers(batch: batch)
        let known = Set(entries.map(\.name))
        if let unknown = masks.keys.sorted().first(where: { !known.contains($0) }) {
            throw NetworkError("\(name) has no prunable weight named '\(unknown)'")
        }
        for entry in entries {
            guard let indices = masks[entry.name] else { continue }
            let weight = entry.layer.weight
            let (rows, columns) = weight.matrixShape
            guard zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }),
                indices.allSatisfy({ $0 >= 0 && Int($0) < rows * columns })
            else {
                throw NetworkError("the mask of '\(entry.name)' is not ascending flat indices below \(rows * columns)")
            }
            let pattern = SparsePattern(rows: rows, columns: columns, flatIndices: indices)
            let compact: Bool
            switch storage {
            case .automatic:
                compact = entry.layer.prefersCompact(density: pattern.density, inputShape: entry.inputShape)
            case .compact: compact = true
            case .masked: compact = false
            }
            weight.prune(to: pattern, compact: compact)
        }
    }

    /// Makes every pruned weight dense again, pruned positions at zero.
    public func removeMasks() {
        for entry in prunableLayers() where entry.layer.weight.pattern != nil {
            entry.layer.weight.prune(to: nil, compact: false)
        }
    }

    /// Counts every parameter's storage (values, indices, gradients, momentum) in the current
    /// memory scope from now on, as if the scope had allocated it.
    public func countParametersInCurrentScope() {
        for named in parameters {
            let parameter = named.parameter
            parameter.value.storage.countInCurrentScope()
            parameter.gradient?.storage.countInCurrentScope()
            parameter.momentum?.storage.countInCurrentScope()
            parameter.pattern?.countInCurrentScope()
        }
    }

    /// The kept flat positions of each pruned weight, by name.
    public var masks: [String: [Int32]] {
        var result: [String: [Int32]] = [:]
        for entry in prunableLayers() {
            if let pattern = entry.layer.weight.pattern { result[entry.name] = pattern.flatIndices }
        }
        return result
    }
}

/// A request a network cannot carry out, such as a mask for a weight it does not have.
public struct NetworkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
