import OrchardNN
import OrchardPayload
import OrchardPruning
import OrchardTensor

/// Growth from the clients' top-K gradients of pruned positions, as FedTiny and GraNet read them.
///
/// In an adjustment round each client reports, per adjusted weight, at most k (position, gradient)
/// pairs of the weight's pruned positions as a sparse tensor `topk/<name>` (`TopKBuffer`). The
/// server averages them, `ḡ[i] = Σ_clients g_c[i] / N` with N the clients that answered and a
/// client that did not report i adding 0 (OG FedTiny's unweighted mean), prunes the k kept weights
/// of smallest |w| and grows the k reported positions of largest |ḡ| at zero.
enum TopKGrowth {
    /// The positions of `name` outside `mask` that `reports` name, largest |ḡ| first, then the lower index.
    /// - Throws: `FederationError` when a client sent the upload in another form, shape or range.
    static func ranked(_ name: String, mask: TensorMask, reports: [ClientResult], round: Int) throws -> [Int32] {
        var sums: [Int32: Double] = [:]
        for result in reports {
            guard let tensor = result.tensors.first(where: { $0.name == FedTinyProtocol.topKName(name) }) else {
                continue
            }
            guard case .sparse(let shape, let indices, let gradients) = tensor.payload, shape == mask.shape,
                indices.allSatisfy({ $0 >= 0 && Int($0) < mask.elementCount })
            else {
                throw FederationError(
                    "client \(result.client) sent '\(tensor.name)' in round \(round) as something else than "
                        + "sparse gradients of shape \(mask.shape)")
            }
            for (index, gradient) in zip(indices, gradients) where !mask.contains(Int(index)) {
                sums[index, default: 0] += Double(gradient)
            }
        }
        let clients = Double(max(reports.count, 1))
        // Largest |ḡ| first, then the lower index, so the choice does not depend on dictionary order.
        return sums.map { (index: $0.key, magnitude: abs($0.value / clients)) }.sorted {
            $0.magnitude != $1.magnitude ? $0.magnitude > $1.magnitude : $0.index < $1.index
        }
        .map(\.index)
    }

    /// Prunes the `count` kept weights of smallest |w| and grows the first `count` of `ranked`.
    ///
    /// Fewer move when fewer positions were reported, so the layer keeps its count. Pruned and
    /// grown weights are zero in `weights` afterwards.
    static func move(_ mask: TensorMask, weights: Tensor, ranked: [Int32], count: Int)
        -> (mask: TensorMask, pruned: [Int32], grown: [Int32])
    {
        let moved = max(0, min(count, ranked.count, mask.count))
        let pruning = PruneAndGrow.pruneOnly(mask, weights: weights, count: moved)
        let grown = ranked.prefix(moved).sorted()
        for index in grown { weights[Int(index)] = 0 }
        let kept = (pruning.mask.activeIndices + grown).sorted()
        return (TensorMask(shape: mask.shape, activeIndices: kept), pruning.pruned, grown)
    }
}
