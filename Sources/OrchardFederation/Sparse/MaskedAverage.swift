import OrchardNN
import OrchardTensor

/// Sample-weighted averaging of pruned models whose masks may differ.
///
/// Each position of a pruned weight is the weighted mean over the clients whose mask keeps it,
/// so a client that pruned a position does not drag it towards zero; a position no client keeps
/// is pruned in the result. With equal masks this is FedAvg on the kept positions. Dense tensors
/// (biases, batch-norm statistics) are averaged over every client. Sums run in Double in the
/// order given (client-id order), so the result does not depend on the number of processes.
public enum MaskedAverage {
    /// One client's resolved upload: its weight and its tensors with their masks.
    public typealias Contribution = (weight: Double, tensors: [(name: String, dense: Tensor, kept: [Int32]?)])

    /// Averages the contributions into dense tensors and returns the union mask of each pruned weight.
    public static func average(_ contributions: [Contribution], shapes: [String: [Int]]) throws
        -> (values: [String: [Float]], masks: [String: [Int32]])
    {
        guard contributions.contains(where: { $0.weight > 0 }) else {
            throw FederationError("no contribution with a positive weight to average")
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
            var sum = [Double](repeating: 0, count: count)
            var weight = [Double](repeating: 0, count: count)
            for part in parts {
                if let kept = part.kept {
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
            values[name] = zip(sum, weight).map { $1 > 0 ? Float($0 / $1) : 0 }
            if parts.contains(where: { $0.kept != nil }) {
                masks[name] = weight.indices.compactMap { weight[$0] > 0 ? Int32($0) : nil }
            }
        }
        return (values, masks)
    }
}
