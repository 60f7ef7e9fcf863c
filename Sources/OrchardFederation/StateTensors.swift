import OrchardNN
import OrchardPayload
import OrchardTensor

extension Network {
    /// Every parameter and running statistic as dense named tensors: the network's own storage,
    /// except for compact sparse weights, which are copied out dense.
    public var stateTensors: [NamedTensor] {
        parameters.map { NamedTensor(name: $0.name, tensor: $0.parameter.denseValue()) }
    }

    /// The state with every pruned weight as a sparse payload (its kept positions and values) and
    /// the rest dense: what a sparse method sends instead of the dense model.
    public var sparseStateTensors: [NamedTensor] {
        parameters.map { named in
            let parameter = named.parameter
            guard let pattern = parameter.pattern else {
                return NamedTensor(name: named.name, tensor: parameter.value)
            }
            let values: [Float]
            if parameter.isCompact {
                values = parameter.value.values
            } else {
                values = [Float](unsafeUninitializedCapacity: pattern.count) { buffer, initialized in
                    pattern.gather(from: parameter.value.data, into: buffer.baseAddress!)
                    initialized = pattern.count
                }
            }
            return NamedTensor(
                name: named.name, payload: .sparse(shape: parameter.shape, indices: pattern.flatIndices, values: values)
            )
        }
    }

    /// Copies named tensors into the parameters of the same names, checking that every one is there.
    ///
    /// A dense tensor sets every value (a pruned weight keeps its mask, taking only kept positions);
    /// a sparse one sets the positions it lists and zeroes the rest. Masks are not values and are
    /// skipped: methods apply them with `applyMasks`.
    public func load(_ tensors: [NamedTensor]) throws {
        var byName: [String: NamedTensor] = [:]
        for tensor in tensors {
            switch tensor.payload {
            case .dense, .sparse: byName[tensor.name] = byName[tensor.name] ?? tensor
            case .mask, .maskUnchanged: continue
            }
        }
        for named in parameters {
            guard let source = byName[named.name] else {
                throw FederationError("no tensor '\(named.name)' to load into \(name)")
            }
            guard source.shape.reduce(1, *) == named.parameter.denseCount else {
                throw FederationError(
                    "tensor '\(named.name)' has shape \(source.shape), \(name) needs \(named.parameter.shape)")
            }
            let dense = try source.denseTensor()
            withExtendedLifetime(dense) { named.parameter.assignDense(dense.data) }
        }
    }
}
