import OrchardPruning

/// When the dynamic-mask methods adjust their masks, and by how much.
///
/// FedPruning's schedule: round t adjusts when `t % delta == 0` and `t ≤ t_end`, moving
/// `int(f(t) · active)` weights per layer with the cosine fraction `f(t) = α/2 (1 + cos(π t / t_end))`.
/// Rounds here are numbered from 1 and t is the round number, so with delta 10 the adjustments are
/// rounds 10, 20, …, as in the library. The one at `t_end` has fraction 0 and changes nothing, but
/// it still runs (the library's clients upload their gradients then too).
public struct AdjustmentSchedule: MethodSettings, Equatable {
    /// Rounds between adjustments (`delta`, FedPruning's `--delta_T`).
    public var interval: Int
    /// The fraction schedule, ending at `t_end`.
    public var decay: CosineDecay

    public init(interval: Int, endRound: Int, alpha: Double) {
        self.interval = interval
        decay = CosineDecay(alpha: alpha, endRound: endRound)
    }

    /// FedPruning's defaults: every 10 rounds until round 100, moving 20% at first.
    public init() { self.init(interval: 10, endRound: 100, alpha: 0.2) }

    public static let declarations: [SettingDeclaration<AdjustmentSchedule>] = [
        .integer(
            "delta", \.interval, in: 1...100_000, "Rounds between mask adjustments: rounds delta, 2 delta, ... adjust."),
        .integer(
            "t_end", \.decay.endRound, in: 0...1_000_000,
            "The last round that adjusts the mask; 0 keeps the initial mask."),
        .number(
            "adjust_alpha", \.decay.alpha, in: 0...1,
            "The fraction of each layer's kept weights moved at round 0, decaying as a cosine to 0 at t_end."),
    ]

    /// Whether round `round` adjusts the mask.
    public func adjusts(round: Int) -> Bool {
        interval > 0 && round > 0 && round % interval == 0 && round <= decay.endRound
    }

    /// The fraction of each layer's active weights moved in round `round`.
    public func fraction(round: Int) -> Double { decay.fraction(at: round) }
}
