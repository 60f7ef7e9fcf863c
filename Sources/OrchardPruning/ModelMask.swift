import OrchardNN

/// The masks of a network's prunable tensors, by parameter name, in the network's parameter order.
public struct ModelMask: Sendable, Equatable {
    /// The masked tensors' names, such as `layer1.0.conv1.weight`, in the network's parameter order.
    public let names: [String]
    /// The mask of each named tensor, in the order of `names`.
    public let masks: [TensorMask]

    /// Creates the model mask from named masks, kept in the given order.
    /// - Precondition: the names are distinct.
    public init(_ entries: [(name: String, mask: TensorMask)]) {
        precondition(Set(entries.map(\.name)).count == entries.count, "a model mask names a tensor twice")
        names = entries.map(\.name)
        masks = entries.map(\.mask)
    }

    /// A mask keeping every entry of the network's prunable tensors.
    public static func full(_ layers: PrunableLayers) -> ModelMask {
        ModelMask(layers.entries.map { (name: $0.name, mask: TensorMask.full(shape: $0.shape)) })
    }

    /// The mask of a named tensor, or nil if it is not masked.
    public subscript(name: String) -> TensorMask? {
        names.firstIndex(of: name).map { masks[$0] }
    }

    /// The named masks, in order.
    public var entries: [(name: String, mask: TensorMask)] {
        zip(names, masks).map { (name: $0, mask: $1) }
    }

    /// The number of kept entries over all masked tensors.
    public var count: Int { masks.reduce(0) { $0 + $1.count } }

    /// The number of entries of all masked tensors.
    public var elementCount: Int { masks.reduce(0) { $0 + $1.elementCount } }

    /// The fraction of the masked tensors' entries that are kept.
    public var density: Double { elementCount == 0 ? 1 : Double(count) / Double(elementCount) }

    /// A copy with one tensor's mask replaced.
    /// - Precondition: `name` is masked and the new mask has the same shape.
    public func replacing(_ name: String, with mask: TensorMask) -> ModelMask {
        guard let position = names.firstIndex(of: name) else { preconditionFailure("\(name) is not masked") }
        precondition(
            masks[position].shape == mask.shape, "\(name): mask of shape \(mask.shape) for \(masks[position].shape)")
        var entries = self.entries
        entries[position].mask = mask
        return ModelMask(entries)
    }

    /// The kept flat positions of each masked tensor, by name, as `Network.applyMasks` takes them.
    public var keptPositions: [String: [Int32]] {
        Dictionary(uniqueKeysWithValues: zip(names, masks.map(\.activeIndices)))
    }

    /// Prunes the network's weights to these masks, held as `storage` says (see `SparseStorage`):
    /// what training a pruned model sparsely starts from.
    public func prune(_ network: Network, batch: Int, storage: SparseStorage = .automatic) throws {
        try network.applyMasks(keptPositions, batch: batch, storage: storage)
    }

    /// Zeroes the pruned entries of the network's masked weights, which stay dense.
    /// - Precondition: every masked name is a dense parameter of the network with the mask's shape.
    public func apply(to network: Network) {
        for (name, mask) in zip(names, masks) {
            guard let parameter = network.parameter(named: name) else {
                preconditionFailure("the network has no parameter \(name)")
            }
            precondition(
                !parameter.isCompact && parameter.shape == mask.shape,
                "\(name): mask \(mask.shape), tensor \(parameter.value.shape) (compact: \(parameter.isCompact))")
            mask.apply(to: parameter.value.buffer)
        }
    }
}
