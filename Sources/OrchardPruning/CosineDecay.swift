#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The fraction of active weights a prune-and-grow step moves: `α/2 · (1 + cos(π t / T_end))`.
///
/// This is FedPruning's round-based form. Past `T_end` the fraction stays 0 rather
/// than rising again with the cosine, and a `T_end` of 0 means a static mask.
public struct CosineDecay: Sendable, Equatable {
    /// The fraction at round 0 (FedPruning's `--adjust_alpha`, 0.2).
    public var alpha: Double
    /// The round at which the fraction reaches 0 (FedPruning's `--T_end`).
    public var endRound: Int

    public init(alpha: Double = 0.2, endRound: Int) {
        self.alpha = alpha
        self.endRound = endRound
    }

    /// The fraction at round `round`.
    public func fraction(at round: Int) -> Double {
        guard endRound > 0, round < endRound else { return 0 }
        let progress = Double(max(round, 0)) / Double(endRound)
        return alpha / 2 * (1 + cos(Double.pi * progress))
    }
}
