import OrchardNN
import OrchardTensor

/// The settings of `hidenseek`, read from a method's setup.
///
/// Keys: `density` (the fraction of each layer's weights the global mask keeps), `weights`
/// (`signed-constant` or `kaiming-normal`), `sampling` (`topk` or `bernoulli`), `upload` (`scores`:
/// each client's scores as values; `mask`: its sampled mask as bits), `score_lr` (the local
/// learning rate of the scores) and `prior_reset` (rounds between resets of the Beta posteriors that
/// mask uploads update).
public struct HideNseekConfiguration: Sendable, Equatable {
    /// What clients send back.
    public enum Upload: String, Sendable {
        case mask
        case scores
    }

    public var density: Double
    public var weights: SupermaskWeights
    public var sampling: SupermaskSampling
    public var upload: Upload
    public var scoreLearningRate: Double
    public var priorReset: Int

    /// The probabilities a Bernoulli mask's posterior mean is kept within, so that its score,
    /// logit(theta), stays finite and a position the clients all dropped can still come back.
    public static let probabilityFloor = 0.01

    /// The settings of `setup`, checked.
    /// - Throws: `FederationError` naming a setting that is missing, out of range or contradicts another.
    public init(_ setup: MethodSetup) throws {
        density = try setup.setting("density")
        guard density > 0 && density <= 1 else {
            throw FederationError("hidenseek: density \(density) is outside (0, 1]")
        }
        let weightsWord = try setup.choice("weights")
        guard let weights = SupermaskWeights(rawValue: weightsWord) else {
            throw FederationError("hidenseek: unknown weights '\(weightsWord)'; known: signed-constant, kaiming-normal")
        }
        self.weights = weights
        switch try setup.choice("sampling") {
        case "bernoulli": sampling = .bernoulli
        case "topk": sampling = .topK(density: density)
        case let other: throw FederationError("hidenseek: unknown sampling '\(other)'; known: bernoulli, topk")
        }
        let uploadWord = try setup.choice("upload")
        guard let upload = Upload(rawValue: uploadWord) else {
            throw FederationError("hidenseek: unknown upload '\(uploadWord)'; known: mask, scores")
        }
        self.upload = upload
        if upload == .mask, sampling != .bernoulli {
            throw FederationError(
                "hidenseek: upload 'mask' needs sampling 'bernoulli' (a top-k mask carries no probabilities to "
                    + "aggregate); use upload 'scores' with sampling 'topk'")
        }
        scoreLearningRate = try setup.setting("score_lr")
        guard scoreLearningRate.isFinite && scoreLearningRate > 0 else {
            throw FederationError("hidenseek: score_lr \(scoreLearningRate) must be positive")
        }
        let reset = try setup.setting("prior_reset")
        guard reset >= 1 && reset <= 1_000_000 && reset.rounded() == reset else {
            throw FederationError("hidenseek: prior_reset \(reset) is not a whole number of rounds in 1...1000000")
        }
        priorReset = Int(reset)
    }

    /// The supermask model of the run: the run's model with every weight wrapped, frozen random
    /// weights from the stream (seed, "supermask"), scores at their initial values.
    ///
    /// Bernoulli scores start at logit(density), so that clients first draw masks of the target density.
    public func makeNetwork(_ setup: MethodSetup) throws -> Network {
        try Supermask.network(
            wrapping: try setup.makeNetwork(), weights: weights, sampling: sampling, initialProbability: density,
            seed: setup.seed)
    }
}
