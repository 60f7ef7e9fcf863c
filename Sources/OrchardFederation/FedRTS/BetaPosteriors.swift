import OrchardTensor

/// The server's Beta posteriors over the positions of one pruned weight: for each position, the
/// belief that keeping it is right, as pseudo-counts of successes (`alpha`) and failures (`beta`).
///
/// Every position starts at the prior `Beta(prior, prior)`. An adjustment round adds its
/// observations (`observe`); a decision samples each position's belief (Thompson sampling).
struct BetaPosteriors: Sendable, Equatable {
    /// Successes per position, the prior included.
    var alpha: [Double]
    /// Failures per position, the prior included.
    var beta: [Double]
    /// The prior's pseudo-count on each side.
    let prior: Double

    /// Positions of a weight of `count` values, at the prior.
    init(count: Int, prior: Double) {
        alpha = [Double](repeating: prior, count: count)
        beta = [Double](repeating: prior, count: count)
        self.prior = prior
    }

    /// Adds `successes` out of `trials` at `position`.
    mutating func observe(_ position: Int, successes: Double, trials: Double) {
        alpha[position] += successes
        beta[position] += trials - successes
    }

    /// Whether some observation counted a success at `position`.
    func hasSucceeded(_ position: Int) -> Bool { alpha[position] > prior }

    /// The posterior mean at `position`.
    func mean(_ position: Int) -> Double { alpha[position] / (alpha[position] + beta[position]) }

    /// A draw from the posterior at `position`: `X / (X + Y)`, X ~ Gamma(alpha), Y ~ Gamma(beta).
    func sample(_ position: Int, random: inout RandomStream) -> Double {
        let x = random.nextGamma(shape: alpha[position])
        let y = random.nextGamma(shape: beta[position])
        return x + y > 0 ? x / (x + y) : 0.5
    }
}
