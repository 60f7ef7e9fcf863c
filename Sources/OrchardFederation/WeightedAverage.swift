import OrchardNN
import OrchardTensor

/// Sample-weighted averaging of clients' tensors into a network, the aggregation of FedAvg, or the
/// robust rule `aggregation` names.
///
/// Sums run in Double and in the order the contributions are given (the coordinator gives them by
/// client id), so the result is the same however many processes computed the contributions.
public enum WeightedAverage {
    /// Sets every state tensor of `network` to the aggregate of the contributions' tensors.
    ///
    /// With the default `.mean`, each contribution counts with its share of the total weight;
    /// tensors are matched by name, and running statistics are averaged like the rest. With
    /// clipping, updates are measured from `network`'s values before the call. A robust rule
    /// counts every contribution of positive weight once.
    public static func apply(
        _ contributions: [(weight: Double, tensors: [NamedTensor])], to network: Network,
        aggregation: Aggregation = .mean
    ) throws {
        try aggregation.validate()
        let total = contributions.reduce(0) { $0 + $1.weight }
        guard total > 0 else { throw FederationError("no contribution with a positive weight to average") }
        var lookups = try contributions.map { contribution in
            Dictionary(
                try contribution.tensors.filter(\.hasValues).map { ($0.name, try $0.denseTensor()) },
                uniquingKeysWith: { first, _ in first })
        }
        if let limit = aggregation.clipNorm {
            let reference = Aggregation.reference(network)
            lookups = try lookups.map { tensors in
                // In the model's order, so that the norm's sum runs in one order whatever the upload's.
                let ordered = network.parameters.compactMap { named -> Aggregation.ClientTensor? in
                    tensors[named.name].map { (named.name, $0, nil) }
                }
                let clipped = try Aggregation.clipped(ordered, reference: reference, limit: limit)
                return Dictionary(clipped.map { ($0.name, $0.dense) }, uniquingKeysWith: { first, _ in first })
            }
        }
        for named in network.parameters {
            let count = named.parameter.denseCount
            let sources = try lookups.map { tensors in
                guard let source = tensors[named.name], source.count == count else {
                    throw FederationError("a contribution lacks '\(named.name)' of \(count) values")
                }
                return source
            }
            let result: [Float]
            if aggregation.isMean {
                result = mean(sources, weights: contributions.map { $0.weight / total }, count: count)
            } else {
                let counted = zip(contributions, sources).filter { $0.0.weight > 0 }.map {
                    (dense: $0.1, kept: [Int32]?.none)
                }
                result = try aggregation.rule.combine(counted, count: count).values
            }
            result.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }

    /// The sum of each source scaled by its share, in the order given.
    private static func mean(_ sources: [Tensor], weights shares: [Double], count: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: count)
        for (source, share) in zip(sources, shares) {
            sums.withUnsafeMutableBufferPointer { sums in
                for index in 0..<count { sums[index] += share * Double(source[index]) }
            }
        }
        return sums.map { Float($0) }
    }
}
