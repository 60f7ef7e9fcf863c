import OrchardNN
import OrchardPruning
import OrchardTensor

/// The buffer a client searches its top-K gradients in, sized from its memory budget.
///
/// The search runs after the last training step, while everything training holds is still live,
/// so its buffer must fit beside the predicted training footprint: the budget minus that footprint
/// (or `topk_buffer_bytes` for a client without a budget). The buffer holds a heap of K (index,
/// gradient) pairs and a tile of positions whose gradients are computed together
/// (`TopKSelection`); a small buffer lowers K, and a buffer below one heap entry and one tile
/// position refuses the task. Layers are searched one after another in the same buffer.
struct TopKBuffer {
    /// The bytes the search may use.
    let bytes: Int

    enum Plan {
        case planned(TopKBuffer)
        case refused(String)
    }

    /// The buffer for `counts` gradients per layer, or a refusal when not even the minimum fits.
    static func plan(_ network: Network, task: ClientTask, client: LocalClient, counts: [String: Int]) throws -> Plan {
        let training = try ClientMemory.predicted(network, task: task, samples: client.data.count).total
        let available: Int
        if let budget = client.memoryBudget {
            available = budget - training
        } else {
            available = Int(try task.setting("topk_buffer_bytes"))
        }
        let entry = TopKSelection.bytesPerEntry
        var needed = 0
        for (name, count) in counts {
            let pruned = try prunedCount(network, name)
            let heap = min(count, pruned)
            // Enough for the whole heap and one tile over every pruned position: more would idle.
            if heap > 0 { needed = max(needed, (heap + pruned) * entry) }
        }
        guard needed > 0 else { return .planned(TopKBuffer(bytes: 0)) }
        let minimum = 2 * entry
        guard available >= minimum else {
            let budget =
                client.memoryBudget.map { "the memory budget is \($0) bytes" } ?? "topk_buffer_bytes is \(available)"
            return .refused(
                "the top-K search needs at least \(minimum) bytes beside training's \(training) bytes, but \(budget)")
        }
        return .planned(TopKBuffer(bytes: min(available, needed)))
    }

    static func prunedCount(_ network: Network, _ name: String) throws -> Int {
        guard let parameter = network.parameter(named: name) else {
            throw FederationError("fedtiny: the task adjusts '\(name)', which \(network.name) does not have")
        }
        return parameter.denseCount - (parameter.pattern?.count ?? parameter.denseCount)
    }

    /// What a search found: the upload tensors, the gradients selected and the peak buffer bytes.
    struct Found {
        var tensors: [NamedTensor] = []
        var selected = 0
        var bytesUsed = 0
    }

    /// Searches each layer's pruned positions for its largest gradients of the last batch.
    /// - Precondition: the network has just trained (its layers hold the last batch's activations).
    func select(in network: Network, counts: [String: Int]) throws -> Found {
        var found = Found()
        let affordable = TopKSelection.largestK(budgetBytes: bytes, tileCapacity: 1)
        let layers = Dictionary(network.prunableLayers().map { ($0.name, $0.layer) }, uniquingKeysWith: { a, _ in a })
        for name in counts.keys.sorted() {
            guard let layer = layers[name] else {
                throw FederationError("fedtiny: the task adjusts '\(name)', which is not a prunable layer")
            }
            let weight = layer.weight
            let gradient: (UnsafeBufferPointer<Int32>, UnsafeMutablePointer<Float>) -> Void
            switch layer {
            case let linear as Linear: gradient = linear.weightGradient(at:into:)
            case let convolution as Conv2d: gradient = convolution.weightGradient(at:into:)
            default: throw FederationError("fedtiny: no gradient at pruned positions for '\(name)'")
            }
            let mask = TensorMask(shape: weight.shape, activeIndices: weight.pattern?.flatIndices ?? [])
            let k = min(counts[name] ?? 0, affordable)
            let selection =
                weight.pattern == nil
                ? nil : try TopKSelection(k: k, of: mask, budgetBytes: bytes, gradient: gradient)
            let entries = (selection?.entries ?? []).sorted { $0.index < $1.index }
            found.tensors.append(
                NamedTensor(
                    name: FedTinyProtocol.topKName(name),
                    payload: .sparse(
                        shape: weight.shape, indices: entries.map(\.index), values: entries.map(\.gradient))))
            found.selected += entries.count
            found.bytesUsed = max(found.bytesUsed, selection?.bytesUsed ?? 0)
        }
        return found
    }
}
