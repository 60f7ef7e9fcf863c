import OrchardNN
import OrchardTensor

/// Sample-weighted averaging of clients' tensors into a network, the aggregation of FedAvg.
///
/// Sums run in Double and in the order the contributions are given (the coordinator gives them by
/// client id), so the result is the same however many processes computed the contributions.
public enum WeightedAverage {
    /// Sets every state tensor of `network` to the weighted average of the contributions' tensors.
    ///
    /// Each contribution counts with its share of the total weight; tensors are matched by name, and
    /// running statistics are averaged like the rest.
    public static func apply(_ contributions: [(weight: Double, tensors: [NamedTensor])], to network: Network) throws {
        let total = contributions.reduce(0) { $0 + $1.weight }
        guard total > 0 else { throw FederationError("no contribution with a positive weight to average") }
        let lookups = try contributions.map { contribution in
            Dictionary(
                try contribution.tensors.filter(\.hasValues).map { ($0.name, try $0.denseTensor()) },
                uniquingKeysWith: { first, _ in first })
        }
        for named in network.parameters {
            let count = named.parameter.denseCount
            var sums = [Double](repeating: 0, count: count)
            for (contribution, tensors) in zip(contributions, lookups) {
                guard let source = tensors[named.name], source.count == count else {
                    throw FederationError("a contribution lacks '\(named.name)' of \(count) values")
                }
                let share = contribution.weight / total
                sums.withUnsafeMutableBufferPointer { sums in
                    for index in 0..<count { sums[index] += share * Double(source[index]) }
                }
            }
            let average = sums.map { Float($0) }
            average.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }
}
