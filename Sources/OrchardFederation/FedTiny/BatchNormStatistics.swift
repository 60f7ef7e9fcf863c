import OrchardNN
import OrchardTensor

/// The running statistics of a network's batch-norm layers, by parameter name: what adaptive BN
/// selection recalibrates on clients and averages on the server.
public struct BatchNormStatistics: Sendable, Equatable {
    /// The running means and variances, by parameter name (such as `layer1.0.bn1.running_mean`).
    public var values: [String: [Float]]

    public init(values: [String: [Float]]) { self.values = values }

    /// The running statistics `network` holds now.
    public init(of network: Network) {
        var values: [String: [Float]] = [:]
        for named in network.parameters where Self.isStatistic(named.parameter) {
            values[named.name] = named.parameter.value.values
        }
        self.values = values
    }

    /// Whether a parameter is a running statistic rather than a trained value.
    static func isStatistic(_ parameter: Parameter) -> Bool {
        parameter.kind == .runningMean || parameter.kind == .runningVariance
    }

    /// Sets `network`'s running statistics to these.
    /// - Throws: `FederationError` for a statistic the network lacks or of the wrong size.
    public func load(into network: Network) throws {
        for named in network.parameters where Self.isStatistic(named.parameter) {
            guard let source = values[named.name], source.count == named.parameter.denseCount else {
                throw FederationError(
                    "fedtiny: no batch-norm statistic '\(named.name)' of \(named.parameter.denseCount)")
            }
            source.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }

    /// The statistics as dense tensors named for candidate `candidate`.
    func tensors(candidate: Int) -> [NamedTensor] {
        values.keys.sorted().map { name in
            let source = values[name]!
            return NamedTensor(
                name: FedTinyProtocol.candidateName(candidate, name),
                tensor: Tensor(shape: [source.count], values: source, role: .data))
        }
    }

    /// Candidate `candidate`'s statistics among named tensors, or nil if none is there.
    static func from(_ tensors: [NamedTensor], candidate: Int) throws -> BatchNormStatistics? {
        var values: [String: [Float]] = [:]
        for tensor in tensors {
            guard let parsed = FedTinyProtocol.parseCandidateName(tensor.name), parsed.candidate == candidate,
                tensor.hasValues, tensor.shape.count == 1
            else { continue }
            values[parsed.name] = try tensor.denseTensor().values
        }
        return values.isEmpty ? nil : BatchNormStatistics(values: values)
    }

    /// The mean of clients' statistics weighted by their validation samples: `Σ m_i s_i / Σ m_i`.
    ///
    /// This is the mean OG intends; its `aggregate_BN` re-created the sum inside the client loop,
    /// which kept only the last client's statistics scaled by `m_last / Σ m`. Sums run
    /// in Double in the order given (client-id order), so the result is the same on any host layout.
    /// - Throws: `FederationError` when the reports name different statistics or no weight is positive.
    public static func weightedMean(_ reports: [(weight: Double, statistics: BatchNormStatistics)]) throws
        -> BatchNormStatistics
    {
        let total = reports.reduce(0) { $0 + $1.weight }
        guard total > 0, let first = reports.first else {
            throw FederationError("fedtiny: no batch-norm statistics with a positive weight to average")
        }
        var sums: [String: [Double]] = first.statistics.values.mapValues { [Double](repeating: 0, count: $0.count) }
        for report in reports {
            guard Set(report.statistics.values.keys) == Set(sums.keys) else {
                throw FederationError("fedtiny: clients reported different batch-norm statistics")
            }
            for (name, values) in report.statistics.values {
                guard values.count == sums[name]!.count else {
                    throw FederationError("fedtiny: '\(name)' came with \(values.count) values")
                }
                let share = report.weight / total
                for index in values.indices { sums[name]![index] += share * Double(values[index]) }
            }
        }
        return BatchNormStatistics(values: sums.mapValues { $0.map { Float($0) } })
    }
}
