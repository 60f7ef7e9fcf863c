import OrchardNN

/// The settings of `hidenseek`: the global density, the random weights, how masks are drawn, what
/// clients send, the scores' learning rate and the Beta posteriors' reset.
public struct HideNseekSettings: MethodSettings, Equatable {
    /// How clients draw masks from their scores.
    public enum Sampling: String, Sendable, CaseIterable {
        /// Each layer's top `density` fraction of scores (edge-popup).
        case topk
        /// Bernoulli(sigmoid(score)) per weight (FedPM).
        case bernoulli
    }

    /// What clients send back.
    public enum Upload: String, Sendable, CaseIterable {
        /// Their scores, as values.
        case scores
        /// A mask drawn from their probabilities, as bits.
        case mask
    }

    /// The fraction of each layer's weights the global mask keeps.
    public var density = 1.0
    public var weights = SupermaskWeights.signedConstant
    public var sampling = Sampling.topk
    public var upload = Upload.scores
    /// The scores' local learning rate, in place of the training section's.
    public var scoreLearningRate = 10.0
    /// Rounds between resets of the Beta posteriors that mask uploads update.
    public var priorReset = 1

    /// The probabilities a Bernoulli mask's posterior mode is kept within, so that its score,
    /// logit(theta), stays finite and a position the clients all dropped can still come back.
    public static let probabilityFloor = 0.01

    /// The defaults, with density 1.
    public init() {}

    public static let declarations: [SettingDeclaration<HideNseekSettings>] = [
        .fraction(
            "density", \.density, required: true,
            "The fraction of each layer's weights the global mask keeps (its largest scores)."),
        .choice(
            "weights", \.weights, "The frozen random weights: ±sqrt(2/fan-in) with random signs, or N(0, 2/fan-in)."),
        .choice(
            "sampling", \.sampling,
            "How clients draw masks from scores: each layer's top density fraction, or Bernoulli(sigmoid(score))."),
        .choice(
            "upload", \.upload,
            "What clients send: their scores, or a mask drawn from their probabilities as bits (Bernoulli only)."),
        .number(
            "score_lr", \.scoreLearningRate, in: 1e-6...1e6,
            "The learning rate of the scores in local training (in place of training.lr)."),
        .integer(
            "prior_reset", \.priorReset, in: 1...1_000_000,
            "Rounds between resets of the Beta posteriors that mask uploads update (1: every round)."),
    ]

    /// The mask the supermask layers draw.
    public var supermaskSampling: SupermaskSampling {
        switch sampling {
        case .topk: .topK(density: density)
        case .bernoulli: .bernoulli
        }
    }

    /// Checks what the declarations cannot: that the settings agree with each other.
    /// - Throws: `FederationError` for mask uploads with top-k sampling.
    public func checked() throws -> HideNseekSettings {
        if upload == .mask, sampling != .bernoulli {
            throw FederationError(
                "hidenseek: upload 'mask' needs sampling 'bernoulli' (a top-k mask carries no probabilities to "
                    + "aggregate); use upload 'scores' with sampling 'topk'")
        }
        return self
    }

    /// The supermask model of the run: the run's model with every weight wrapped, frozen random
    /// weights from the stream (seed, "supermask"), scores at their initial values.
    ///
    /// Bernoulli scores start at logit(density), so that clients first draw masks of the target density.
    public func makeNetwork(_ setup: MethodSetup) throws -> Network {
        try Supermask.network(
            wrapping: try setup.makeNetwork(), weights: weights, sampling: supermaskSampling,
            initialProbability: density, seed: setup.seed)
    }
}

extension MethodDescriptor {
    /// Supermask training: frozen random weights, trained scores, masks up as bits or scores.
    public static let hideNseek = MethodDescriptor(
        name: "hidenseek",
        summary:
            "Supermask training (edge-popup's top-k; FedPM, Isik et al., 2023): weights frozen at random values, "
            + "clients train a score per weight and send their scores or masks as bits, the server aggregates "
            + "scores or mask probabilities.",
        settings: HideNseekSettings.self,
        server: { try HideNseekServer(setup: $0, settings: $1) },
        client: { try HideNseekClient(setup: $0, settings: $1) })
}
