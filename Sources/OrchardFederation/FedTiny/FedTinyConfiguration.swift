import OrchardNN
import OrchardPruning

/// FedTiny's settings, read once from a method's setup with their defaults filled in.
///
/// The keys are those of `MethodDescriptor.fedTiny`; a setup built by hand (a test) may leave any
/// of them out except `density`, and gets the defaults documented in `docs/methods.md`.
public struct FedTinyConfiguration: Sendable, Equatable {
    /// How candidates' layer-wise densities are drawn around the target.
    public enum DensityNoise: String, Sendable, CaseIterable {
        /// `d_l = d · (1 + u_l)`, `u_l ~ U(−0.5, 0.5)` (OG's `noise-uniform-magnitude`).
        case uniform
        /// Erdős–Rényi densities times `(1 + 2u_l)` (OG's `noise-erdos-renyi-magnitude`).
        case er
        /// Erdős–Rényi-Kernel densities times `(1 + 2u_l)` (OG's `noise-erdos-renyi-kernel-magnitude`).
        case erk
    }

    /// Which layers one adjustment round changes (OG's `--grand`).
    public enum Granularity: String, Sendable, CaseIterable {
        /// One block of layers (a ResNet stage, or a pair of consecutive layers), cycling from the output.
        case block
        /// One masked layer, cycling from the output.
        case layer
        /// Every masked layer.
        case entire
    }

    /// The target density of the model (the shared `density` setting).
    public var density: Double
    /// What the density is a fraction of.
    public var budget: DensityBudget
    /// Epochs the server trains the dense model on its small data set before pruning; 0 skips it.
    public var pretrainEpochs: Int
    /// The number of candidate masks in the pool.
    public var candidates: Int
    /// How candidates' layer densities are drawn.
    public var densityNoise: DensityNoise
    /// Whether the stem (first prunable weight) stays dense, as OG keeps it.
    public var denseFirstLayer: Bool
    /// Train-mode passes over the validation split that recalibrate batch-norm statistics.
    public var batchNormPasses: Int
    /// The share of a client's shard used for selection (batch-norm statistics and scoring).
    public var validationFraction: Double
    /// Rounds between adjustments: round t adjusts when `t % delta == 0`.
    public var delta: Int
    /// The last round that may adjust, and the end of the cosine decay.
    public var endRound: Int
    /// The initial fraction of a layer's active weights moved in an adjustment.
    public var adjustAlpha: Double
    /// The top-K buffer of a client without a memory budget, in bytes.
    public var topKBufferBytes: Int
    /// Which layers an adjustment changes.
    public var granularity: Granularity
    /// How clients hold pruned weights.
    public var storage: SparseStorage

    /// Reads the settings of `setup`.
    /// - Throws: `FederationError` for a missing density or an unknown choice.
    public init(_ setup: MethodSetup) throws {
        func number(_ key: String, _ fallback: Double) -> Double { setup.settings[key] ?? fallback }
        func choice<Value: RawRepresentable<String> & CaseIterable>(_ key: String, _ fallback: Value) throws -> Value {
            guard let word = setup.choices[key] else { return fallback }
            guard let value = Value(rawValue: word) else {
                let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
                throw FederationError("fedtiny: unknown \(key) '\(word)'; known: \(known)")
            }
            return value
        }
        density = try setup.setting("density")
        budget = setup.choices["budget"] == "prunable" ? .overPrunableParameters : .overAllParameters
        pretrainEpochs = Int(number("pretrain_epochs", 3))
        candidates = Int(number("candidates", 4))
        densityNoise = try choice("density_noise", DensityNoise.uniform)
        denseFirstLayer = number("dense_first_layer", 1) != 0
        batchNormPasses = Int(number("bn_passes", 10))
        validationFraction = number("validation_fraction", 0.1)
        delta = Int(number("delta", 10))
        endRound = Int(number("t_end", 100))
        adjustAlpha = number("adjust_alpha", 0.2)
        topKBufferBytes = Int(number("topk_buffer_bytes", 1_048_576))
        granularity = try choice("granularity", Granularity.block)
        storage = PruningSettings.storage(setup)
        guard candidates >= 1 else {
            throw FederationError("fedtiny: candidates must be at least 1, got \(candidates)")
        }
        guard delta >= 1 else { throw FederationError("fedtiny: delta must be at least 1, got \(delta)") }
        guard validationFraction > 0 && validationFraction <= 1 else {
            throw FederationError("fedtiny: validation_fraction must be in (0, 1], got \(validationFraction)")
        }
    }

    /// The weights that candidates mask: linear and convolution weights, the stem left out when it stays dense.
    public var selection: PrunableSelection { PrunableSelection(includeFirstLayer: !denseFirstLayer) }

    /// The cosine schedule of the adjustment fraction, over rounds.
    public var decay: CosineDecay { CosineDecay(alpha: adjustAlpha, endRound: endRound) }
}

/// The task kinds and tensor names FedTiny's two halves agree on.
enum FedTinyProtocol {
    /// Round 1: recalibrate each candidate's batch-norm statistics on the validation split.
    static let batchNormStatistics = "bn_stats"
    /// Round 2: each candidate's loss and correct count on the validation split.
    static let score = "score"
    /// A regular round of sparse training.
    static let train = "train"
    /// Sparse training that also reports top-K gradients at pruned positions of the selected layers.
    static let adjust = "adjust"
    /// The round that recalibrates batch norm; the next one scores, and training follows.
    static let batchNormRound = 1
    static let scoreRound = 2

    /// The name of a candidate's tensor, such as `candidate.2/layer1.0.conv1.weight`.
    static func candidateName(_ candidate: Int, _ name: String) -> String { "candidate.\(candidate)/\(name)" }

    /// The candidate and tensor of a candidate's name, or nil for another name.
    static func parseCandidateName(_ qualified: String) -> (candidate: Int, name: String)? {
        guard qualified.hasPrefix("candidate."), let slash = qualified.firstIndex(of: "/") else { return nil }
        let number = qualified[qualified.index(qualified.startIndex, offsetBy: 10)..<slash]
        guard let candidate = Int(number) else { return nil }
        return (candidate, String(qualified[qualified.index(after: slash)...]))
    }

    /// The name of a layer's top-K gradient upload, such as `topk/layer4.1.conv2.weight`.
    static func topKName(_ name: String) -> String { "topk/" + name }

    /// The task setting that asks for `k` gradients of a layer, such as `k/fc.weight`.
    static func countSetting(_ name: String) -> String { "k/" + name }

    /// A candidate's summed validation loss, as a result metric.
    static func lossMetric(_ candidate: Int) -> String { "loss_sum.\(candidate)" }
    /// A candidate's correct validation predictions, as a result metric.
    static func correctMetric(_ candidate: Int) -> String { "correct.\(candidate)" }
}
