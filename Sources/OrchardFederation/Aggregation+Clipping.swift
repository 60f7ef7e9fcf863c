import OrchardTensor

/// Norm clipping of client updates (`clip_norm`).
///
/// A client's update is its tensors minus the global model's before the round, over the trained
/// tensors it sent (those `reference` holds) and, for a pruned weight, the positions it keeps. When
/// the update's L2 norm over the whole model exceeds the limit, every one of those values becomes
/// `global + (limit / norm) · (client − global)`, so the update keeps its direction and has norm
/// `limit`; the rest (running statistics) is left as sent.
extension Aggregation {
    /// One client's tensor: its dense values and, for a pruned weight, the positions it keeps.
    typealias ClientTensor = (name: String, dense: Tensor, kept: [Int32]?)

    /// `tensors` with the update scaled to `limit` when its norm is larger; returned as given
    /// (nothing copied) otherwise.
    /// - Throws: `FederationError` for a tensor whose size or positions do not fit the global
    ///   model's, or an update whose norm is not finite (a value is NaN or infinite).
    static func clipped(_ tensors: [ClientTensor], reference: [String: Tensor], limit: Double) throws
        -> [ClientTensor]
    {
        let norm = try updateNorm(tensors, reference: reference)
        guard norm.isFinite else {
            throw FederationError(
                "an update's norm is not finite, so it cannot be clipped (a value is NaN or infinite)")
        }
        guard norm > limit else { return tensors }
        let scale = limit / norm
        return tensors.map { tensor in
            guard let origin = reference[tensor.name] else { return tensor }
            let scaled = tensor.dense.copy(role: .workspace)
            forEachPosition(of: tensor) { position in
                let start = Double(origin[position])
                scaled[position] = Float(start + scale * (Double(tensor.dense[position]) - start))
            }
            return (tensor.name, scaled, tensor.kept)
        }
    }

    /// The L2 norm of the update, summed in Double in the order the tensors and positions come.
    static func updateNorm(_ tensors: [ClientTensor], reference: [String: Tensor]) throws -> Double {
        var squares: Double = 0
        for tensor in tensors {
            guard let origin = reference[tensor.name] else { continue }
            guard origin.count == tensor.dense.count else {
                throw FederationError(
                    "'\(tensor.name)' has \(tensor.dense.count) values, the global model \(origin.count)")
            }
            if let kept = tensor.kept { try checkPositions(kept, count: tensor.dense.count) }
            forEachPosition(of: tensor) { position in
                let difference = Double(tensor.dense[position]) - Double(origin[position])
                squares += difference * difference
            }
        }
        return squares.squareRoot()
    }

    /// Throws unless every position of `kept` lies in a tensor of `count` values.
    static func checkPositions(_ kept: [Int32], count: Int) throws {
        if let outside = kept.first(where: { $0 < 0 || Int($0) >= count }) {
            throw FederationError("a contribution keeps position \(outside), outside its \(count) values")
        }
    }

    /// Calls `body` with each position the tensor holds: its kept ones, or all of them.
    private static func forEachPosition(of tensor: ClientTensor, _ body: (Int) -> Void) {
        if let kept = tensor.kept {
            for position in kept { body(Int(position)) }
        } else {
            for position in 0..<tensor.dense.count { body(position) }
        }
    }
}
