/// Zhu and Gupta's gradual pruning schedule: `s_t = s_f + (s_i − s_f)(1 − (t − t0)/(nΔt))³`.
///
/// The sparsity starts at `s_i` at step `t0`, falls fast, then levels off at `s_f` after `n`
/// pruning steps `Δt` apart. Before `t0` the sparsity is `s_i`, after `t0 + nΔt` it is `s_f`;
/// between pruning steps the formula is evaluated at the step itself, and callers that prune
/// only every `Δt` steps ask `isPruningStep` first.
public struct CubicSchedule: Sendable, Equatable {
    /// The sparsity at the start, `s_i` (often 0).
    public var initialSparsity: Double
    /// The final sparsity, `s_f`.
    public var finalSparsity: Double
    /// The first pruning step, `t0`.
    public var startStep: Int
    /// The number of pruning steps, `n`.
    public var pruningSteps: Int
    /// The steps between two pruning steps, `Δt`.
    public var interval: Int

    public init(
        initialSparsity: Double = 0, finalSparsity: Double, startStep: Int = 0, pruningSteps: Int, interval: Int
    ) {
        precondition(pruningSteps > 0 && interval > 0, "a cubic schedule needs positive n and Δt")
        self.initialSparsity = initialSparsity
        self.finalSparsity = finalSparsity
        self.startStep = startStep
        self.pruningSteps = pruningSteps
        self.interval = interval
    }

    /// The sparsity at a step.
    public func sparsity(at step: Int) -> Double {
        let span = Double(pruningSteps * interval)
        let progress = min(max(Double(step - startStep) / span, 0), 1)
        let remaining = 1 - progress
        return finalSparsity + (initialSparsity - finalSparsity) * remaining * remaining * remaining
    }

    /// The density at a step, `1 − s_t`.
    public func density(at step: Int) -> Double { 1 - sparsity(at: step) }

    /// Whether the mask is updated at a step: `t0, t0 + Δt, …, t0 + nΔt`.
    public func isPruningStep(_ step: Int) -> Bool {
        step >= startStep && step <= startStep + pruningSteps * interval && (step - startStep) % interval == 0
    }
}
