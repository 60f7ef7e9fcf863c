/// How the server combines the clients' models: a rule per coordinate and an optional clip of
/// each client's update, for studies of poisoned clients (`aggregation:` in a topology).
public struct AggregationSpec: Sendable, Equatable {
    /// The rule applied to each coordinate of the model.
    public enum Rule: String, Sendable, Equatable, CaseIterable {
        /// The mean weighted by each client's training samples (FedAvg).
        case mean
        /// The median of the clients' values, unweighted.
        case median
        /// The mean of the clients' values once `trim` of them are dropped at each end, unweighted.
        case trimmedMean = "trimmed-mean"
    }

    /// The rule; `mean` by default.
    public var rule: Rule
    /// The fraction of the clients' values dropped at each end of each coordinate, in [0, 0.5);
    /// set only with `trimmed-mean`, 0 otherwise.
    public var trim: Double
    /// The largest L2 norm of a client's update, more than zero; nil (the default) for no clipping.
    public var clipNorm: Double?

    /// Creates a setting; the default is the weighted mean without clipping.
    public init(rule: Rule = .mean, trim: Double = 0, clipNorm: Double? = nil) {
        self.rule = rule
        self.trim = trim
        self.clipNorm = clipNorm
    }

    /// Whether this is the default: the weighted mean without clipping.
    public var isDefault: Bool { self == AggregationSpec() }

    /// The setting in words, for summaries: `trimmed-mean 10%, clip_norm 5`.
    public var summary: String {
        var text = rule == .trimmedMean ? "\(rule.rawValue) \(UnitFormat.percent(trim))" : rule.rawValue
        if let clipNorm { text += ", clip_norm \(UnitFormat.trimmed(clipNorm))" }
        return text
    }
}
