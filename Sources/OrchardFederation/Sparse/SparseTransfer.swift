import OrchardNN
import OrchardPayload
import OrchardTensor

/// How the state of a pruned model travels between the server and a client.
///
/// Down, each pruned weight goes as its kept positions and their values (the wire codes them in
/// the cheaper of a bitmap and Rice-coded gaps); the other tensors go dense. The runtime sends a
/// device that already holds a weight's mask its values alone (`docs/protocol.md` section 8) and
/// restores the positions before the client sees the task, so methods always get positions here. Up, a weight whose
/// mask the client did not change goes as its values alone, since the server knows the mask it
/// sent: masks travel only when they changed.
public enum SparseTransfer {
    /// The tensors that carry `network`'s state down to a client.
    public static func download(_ network: Network) -> [NamedTensor] { network.sparseStateTensors }

    /// Loads a downloaded state into a client's network: each sparse weight's positions become its
    /// mask (held as `storage` says for batches of `batch`), then every value is set.
    public static func load(_ tensors: [NamedTensor], into network: Network, batch: Int, storage: SparseStorage)
        throws
    {
        var masks: [String: [Int32]] = [:]
        for tensor in tensors {
            if case .sparse(_, let indices, _) = tensor.payload { masks[tensor.name] = indices }
        }
        let pruned = Set(masks.keys)
        for entry in network.prunableLayers() where entry.layer.weight.pattern != nil && !pruned.contains(entry.name) {
            // A weight the server sends dense is dense on the client too.
            entry.layer.weight.prune(to: nil, compact: false)
        }
        let current = network.masks
        let changed = masks.filter { current[$0.key] != $0.value }
        if !changed.isEmpty { try network.applyMasks(changed, batch: batch, storage: storage) }
        try network.load(tensors)
    }

    /// The tensors that carry a trained client's state up: values alone for the weights whose
    /// mask equals the one in `sent`, positions and values for weights whose mask changed.
    public static func upload(_ network: Network, sent: [String: [Int32]]) -> [NamedTensor] {
        network.sparseStateTensors.map { tensor in
            guard case .sparse(_, let indices, let values) = tensor.payload, sent[tensor.name] == indices else {
                return tensor
            }
            return NamedTensor(name: tensor.name, tensor: Tensor(shape: [values.count], values: values, role: .data))
        }
    }

    /// A client's uploaded tensors as dense tensors of the model's shapes, with the mask of each
    /// pruned weight: values alone are placed at the positions of `sent`.
    /// - Throws: `FederationError` for values that do not fit the mask sent, or a tensor of the
    ///   wrong size.
    public static func resolve(_ tensors: [NamedTensor], shapes: [String: [Int]], sent: [String: [Int32]]) throws
        -> [(name: String, dense: Tensor, kept: [Int32]?)]
    {
        try tensors.filter(\.hasValues).map { tensor in
            guard let shape = shapes[tensor.name] else {
                throw FederationError("an upload holds '\(tensor.name)', which the model does not have")
            }
            switch tensor.payload {
            case .sparse(_, let indices, _):
                guard tensor.shape == shape else { throw FederationError("'\(tensor.name)' has shape \(tensor.shape)") }
                return (tensor.name, try tensor.denseTensor(), indices)
            case .dense(let values) where values.shape != shape:
                guard let kept = sent[tensor.name], kept.count == values.count else {
                    throw FederationError(
                        "'\(tensor.name)' came as \(values.count) values, which fit neither its shape \(shape) nor its mask"
                    )
                }
                let dense = Tensor(zeros: shape, role: .data)
                for (slot, position) in kept.enumerated() { dense[Int(position)] = values[slot] }
                return (tensor.name, dense, kept)
            default:
                return (tensor.name, try tensor.denseTensor(), sent[tensor.name])
            }
        }
    }
}
