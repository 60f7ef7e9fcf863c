import OrchardNN
import OrchardTensor

/// Sample-weighted averaging of pruned models whose masks may differ, or the robust rule
/// `aggregation` names.
///
/// Each position of a pruned weight is the weighted mean over the clients whose mask keeps it,
/// so a client that pruned a position does not drag it towards zero; a position no client keeps
/// is pruned in the result. With equal masks this is FedAvg on the kept positions. Dense tensors
/// (biases, batch-norm statistics) are averaged over every client. Sums run in Double in the
/// order given (client-id order), so the result does not depend on the number of processes.
/// A robust rule takes, at each position, the median or trimmed mean of the values of the
/// clients that keep it.
public enum MaskedAverage {
    /// One client's resolved upload: its weight and its tensors with their masks.
    public typealias Contribution = (weight: Double, tensors: [(name: String, dense: Tensor, kept: [Int32]?)])

    /// Aggregates the contributions into dense tensors and returns the union mask of each pruned weight.
    ///
    /// With clipping, each update is measured from `reference`, the global model's trained
    /// tensors before the round (`Aggregation.reference`).
    public static func average(
        _ contributions: [Contribution], shapes: [String: [Int]], aggregation: Aggregation = .mean,
        reference: [String: Tensor] = [:]
    ) throws -> (values: [String: [Float]], masks: [String: [Int32]]) {
        try aggregation.validate()
        guard contributions.contains(where: { $0.weight > 0 }) else {
            throw FederationError("no contribution with a positive weight to average")
        }
        var contributions = contributions
        if let limit = aggregation.clipNorm {
            guard !reference.isEmpty else {
                throw FederationError("clipping updates needs the global model's tensors to measure them from")
            }
            contributions = try contributions.map {
                ($0.weight, try Aggregation.clipped($0.tensors, reference: reference, limit: limit))
            }
        }
        // Each tensor's sums are accumulated in arrays of their own, one tensor at a time, so no
        // contribution copies another's (a dictionary entry mutated through a copy would).
        var byName: [String: [(weight: Double, dense: Tensor, kept: [Int32]?)]] = [:]
        for contribution in contributions {
            for (name, dense, kept) in contribution.tensors {
                guard let shape = shapes[name], dense.count == shape.reduce(1, *) else {
                    throw FederationError("a contribution's '\(name)' does not match the model")
                }
                byName[name, default: []].append((contribution.weight, dense, kept))
            }
        }
        var values: [String: [Float]] = [:]
        var masks: [String: [Int32]] = [:]
        for (name, parts) in byName {
            let count = parts[0].dense.count
            let (average, held) =
                aggregation.isMean
                ? try weightedMean(parts, count: count)
                : try aggregation.rule.combine(parts.filter { $0.weight > 0 }.map { ($0.dense, $0.kept) }, count: count)
            values[name] = average
            if parts.contains(where: { $0.kept != nil }) { masks[name] = held }
        }
        return (values, masks)
    }

    /// The weighted mean of each position over the parts that keep it, and the positions kept
    /// with a positive weight.
    private static func weightedMean(_ parts: [(weight: Double, dense: Tensor, kept: [Int32]?)], count: Int) throws
        -> (values: [Float], held: [Int32])
    {
        var sum = [Double](repeating: 0, count: count)
        var weight = [Double](repeating: 0, count: count)
        for part in parts {
            if let kept = part.kept {
                try Aggregation.checkPositions(kept, count: count)
                for position in kept {
                    sum[Int(position)] += part.weight * Double(part.dense[Int(position)])
                    weight[Int(position)] += part.weight
                }
            } else {
                for position in 0..<count {
                    sum[position] += part.weight * Double(part.dense[position])
                    weight[position] += part.weight
                }
            }
        }
        let values = zip(sum, weight).map { $1 > 0 ? Float($0 / $1) : 0 }
        return (values, weight.indices.compactMap { weight[$0] > 0 ? Int32($0) : nil })
    }
}
