import OrchardNN
import OrchardTensor

/// How the server combines the clients' models: a rule applied coordinate by coordinate, and an
/// optional bound on the L2 norm of each client's update, for studies of poisoned clients.
///
/// The default is the sample-weighted mean without clipping, FedAvg's aggregation. The median and
/// the trimmed mean are the coordinate-wise estimators of Yin et al. (2018), unweighted: each client
/// that keeps a coordinate counts once, whatever its number of samples. `docs/methods.md` ("Robust
/// aggregation") says which aggregations of which methods follow the setting, and what it costs.
public struct Aggregation: Sendable, Equatable {
    /// How the clients' values of one coordinate become the global value.
    public enum Rule: Sendable, Equatable {
        /// The mean weighted by each client's training samples.
        case mean
        /// The median of the clients' values; the mean of the two middle ones for an even count.
        case median
        /// The mean of the values left once `floor(trim · n)` of the n values are dropped at each
        /// end; `trim` lies in [0, 0.5).
        case trimmedMean(trim: Double)
    }

    /// The rule applied to each coordinate.
    public var rule: Rule
    /// The largest L2 norm a client's update may have; nil for no clipping.
    ///
    /// A longer update is scaled down to it before the rule applies.
    public var clipNorm: Double?

    /// Creates an aggregation setting; the default is the weighted mean without clipping.
    public init(rule: Rule = .mean, clipNorm: Double? = nil) {
        self.rule = rule
        self.clipNorm = clipNorm
    }

    /// FedAvg's sample-weighted mean, without clipping.
    public static let mean = Aggregation()

    /// Checks the numbers a topology would have checked, for settings built in code.
    /// - Throws: `FederationError` naming the value out of range.
    func validate() throws {
        if case .trimmedMean(let trim) = rule, !(trim >= 0 && trim < 0.5) {
            throw FederationError("aggregation: trim must lie in [0, 0.5), got \(trim)")
        }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) {
            throw FederationError("aggregation: clip_norm must be a finite number above zero, got \(clipNorm)")
        }
    }

    /// Whether the rule is the weighted mean, which is computed in one pass without gathering.
    var isMean: Bool { rule == .mean }

    /// The global model's trained tensors (weights, biases, batch-norm scales and shifts), by name:
    /// the origin from which clients' updates are measured for clipping.
    ///
    /// Running statistics are left out: they are not trained, so they are neither measured nor
    /// scaled. The tensors share the network's storage, so they must be read before the network
    /// is assigned the round's result.
    public static func reference(_ network: Network) -> [String: Tensor] {
        Dictionary(
            network.parameters.filter { $0.parameter.kind.isTrainable }.map { ($0.name, $0.parameter.denseValue()) },
            uniquingKeysWith: { first, _ in first })
    }
}
