/// The methods a topology may name, each with the settings it accepts.
///
/// The loader checks `method:` against a registry: the name must be registered, and every setting
/// must be one the method declares, of the declared kind and range. `standard` holds the methods
/// Orchard implements; a method added to `OrchardFederation` adds its descriptor there, and tests
/// or tools may pass a registry of their own to `TopologyLoader`.
public struct MethodRegistry: Sendable {
    /// The registered methods, in registration order.
    public private(set) var methods: [MethodDescriptor]

    /// Creates a registry of `methods`; a later descriptor replaces an earlier one of the same name.
    public init(_ methods: [MethodDescriptor]) {
        self.methods = []
        for method in methods { register(method) }
    }

    /// The methods Orchard implements.
    public static let standard = MethodRegistry([
        .fedAvg, .fixedMask, .fedTiny, .fedTinyClean, .pruneFL, .fedDST, .lotteryFL, .fedRTS,
    ])

    /// The names of the registered methods.
    public var names: [String] { methods.map(\.name) }

    /// The descriptor of the method called `name`, if registered.
    public func descriptor(named name: String) -> MethodDescriptor? { methods.first { $0.name == name } }

    /// Adds `method`, replacing a registered method of the same name.
    public mutating func register(_ method: MethodDescriptor) {
        if let index = methods.firstIndex(where: { $0.name == method.name }) {
            methods[index] = method
        } else {
            methods.append(method)
        }
    }
}

/// What a topology may say about one method: its name, its settings, and how dense the model
/// its clients train is, which sets the smallest memory budget that can hold it.
public struct MethodDescriptor: Sendable {
    /// The name written after `method:`.
    public let name: String
    /// One sentence about the method, for help and the reference.
    public let summary: String
    /// The settings the method accepts.
    public let settings: [MethodSetting]
    /// The fraction of the model's trainable weights that a client holds while training, in
    /// (0, 1], given the method's settings (defaults filled in): 1 for a dense method.
    public let trainingDensity: @Sendable ([String: SettingValue]) -> Double

    /// Creates a descriptor.
    public init(
        name: String, summary: String, settings: [MethodSetting] = [],
        trainingDensity: @escaping @Sendable ([String: SettingValue]) -> Double = { _ in 1 }
    ) {
        self.name = name
        self.summary = summary
        self.settings = settings
        self.trainingDensity = trainingDensity
    }

    /// Federated averaging of dense models, weighted by each client's number of training samples.
    public static let fedAvg = MethodDescriptor(
        name: "fedavg",
        summary: "Federated averaging of dense models, weighted by training samples (McMahan et al., 2017).")

    /// FedAvg over a mask chosen once at initialisation by a pruning criterion.
    public static let fixedMask = MethodDescriptor(
        name: "fixed-mask",
        summary: "FedAvg over a mask fixed at initialisation by a criterion (random, magnitude, SNIP, SynFlow, GraSP).",
        settings: MethodSetting.pruning + [
            MethodSetting(
                key: "criterion", kind: .choice(["random", "magnitude", "snip", "synflow", "grasp"]),
                defaultValue: .choice("random"), summary: "How the initial weights are scored; the top ones are kept."),
            MethodSetting(
                key: "synflow_iterations", kind: .integer(1...1000), defaultValue: .integer(100),
                summary: "SynFlow's pruning rounds, at densities d^(k/n)."),
        ],
        trainingDensity: MethodSetting.trainedDensity)

    /// FedTiny: adaptive batch-norm selection among coarse-pruned candidates, then progressive pruning.
    public static let fedTiny = MethodDescriptor(
        name: "fedtiny",
        summary:
            "FedTiny: pick among magnitude-pruned candidates by adaptive batch-norm selection, then grow and prune "
            + "one block at a time from clients' top-K gradients (Huang et al., 2023).",
        settings: MethodSetting.pruning.filter { $0.key != "distribution" && $0.key != "prune_first_layer" } + [
            MethodSetting(
                key: "pretrain_epochs", kind: .integer(0...1000), defaultValue: .integer(3),
                summary: "Epochs the server trains the dense model on its small set before pruning; 0 skips it."),
            MethodSetting(
                key: "candidates", kind: .integer(1...64), defaultValue: .integer(4),
                summary: "Candidate masks in the pool, each with its own noisy layer densities."),
            MethodSetting(
                key: "density_noise", kind: .choice(["uniform", "er", "erk"]), defaultValue: .choice("uniform"),
                summary: "Layer densities of a candidate: the target times U(0.5, 1.5), or ER/ERK times U(0, 2)."),
            MethodSetting(
                key: "dense_first_layer", kind: .boolean, defaultValue: .boolean(true),
                summary: "Whether the stem stays dense, as the original FedTiny code keeps it."),
            MethodSetting(
                key: "bn_passes", kind: .integer(1...100), defaultValue: .integer(10),
                summary: "Training-mode passes over the validation split that recalibrate batch-norm statistics."),
            MethodSetting(
                key: "validation_fraction", kind: .fraction, defaultValue: .number(0.1),
                summary: "The share of each client's shard used to recalibrate and score the candidates."),
            MethodSetting(
                key: "delta", kind: .integer(1...10_000), defaultValue: .integer(10),
                summary: "Rounds between mask adjustments: round t adjusts when t is a multiple of delta."),
            MethodSetting(
                key: "t_end", kind: .integer(0...1_000_000), defaultValue: .integer(100),
                summary:
                    "The last round that adjusts the mask, where the cosine fraction reaches 0; about 0.8 of the rounds."
            ),
            MethodSetting(
                key: "adjust_alpha", kind: .number(0...1), defaultValue: .number(0.2),
                summary: "The fraction of a layer's kept weights moved by the first adjustment, decaying by cosine."),
            MethodSetting(
                key: "granularity", kind: .choice(["block", "layer", "entire"]), defaultValue: .choice("block"),
                summary: "What one adjustment changes: one block of layers, one layer, or every layer."),
            MethodSetting(
                key: "topk_buffer_bytes", kind: .integer(16...(1 << 40)), defaultValue: .integer(1 << 20),
                summary:
                    "The top-K search buffer of a client without a memory budget (others use what training leaves)."),
        ],
        trainingDensity: MethodSetting.trainedDensity)
}

extension MethodDescriptor {
    /// FedDST: clients move their own weights RigL style; the server takes the union and re-prunes.
    public static let fedDST = MethodDescriptor(
        name: "feddst",
        summary:
            "FedDST (Bibikar et al., 2022): clients prune and regrow their own masks; the server averages, "
            + "takes the union of the masks and prunes back to the density by magnitude.",
        settings: MethodSetting.pruning + MethodSetting.maskAdjustment + [
            MethodSetting(
                key: "adjust_epochs", kind: .integer(0...1000), defaultValue: .integer(0),
                summary:
                    "Local epochs before a client adjusts its mask in an adjustment round (0: first; the round's "
                    + "epochs: last).")
        ],
        trainingDensity: MethodSetting.trainedDensity)

    /// PruneFL as FedPruning runs it: the server moves weights by clients' mean squared gradients.
    public static let pruneFL = MethodDescriptor(
        name: "prunefl",
        summary:
            "PruneFL as FedPruning runs it (after Jiang et al., 2022): in adjustment rounds clients send the "
            + "mean squared gradient of every position, and the server prunes the smallest weights and grows "
            + "the positions of largest importance.",
        settings: MethodSetting.pruning + MethodSetting.maskAdjustment + [MethodSetting.gradientUpload],
        trainingDensity: MethodSetting.trainedDensity)

    /// FedTiny-Clean, FedPruning's FedTiny: server prune-and-grow from clients' dense gradients.
    public static let fedTinyClean = MethodDescriptor(
        name: "fedtiny-clean",
        summary:
            "FedTiny-Clean, the FedTiny of the FedPruning library: in adjustment rounds clients send a dense "
            + "gradient, and the server prunes the smallest weights and grows the largest gradients (cosine fraction).",
        settings: MethodSetting.pruning + MethodSetting.maskAdjustment + [
            MethodSetting.gradientUpload,
            MethodSetting(
                key: "adjustment_epochs", kind: .integer(0...1000), defaultValue: .integer(0),
                summary: "Local epochs in adjustment rounds; 0 uses training.epochs."),
            MethodSetting(
                key: "growth_data_mode", kind: .choice(["batch", "entire", "single", "random"]),
                defaultValue: .choice("batch"),
                summary:
                    "The data of the growth gradient: one batch, all local batches summed, one sample twice, or "
                    + "random normal values (an ablation)."),
        ],
        trainingDensity: MethodSetting.trainedDensity)
}

extension MethodDescriptor {
    /// LotteryFL: each client prunes a mask of its own when its held-out accuracy passes a threshold.
    public static let lotteryFL = MethodDescriptor(
        name: "lotteryfl",
        summary:
            "LotteryFL (Li et al., 2020): each client prunes its own mask by magnitude, rewinding to the initial "
            + "weights, when its held-out accuracy passes a threshold; the server averages each position over the "
            + "clients that keep it and keeps every client's mask.",
        settings: [
            MethodSetting(
                key: "density", kind: .fraction, defaultValue: nil,
                summary: "The density each client prunes its mask down to, in every prunable layer."),
            MethodSetting(
                key: "prune_rate", kind: .number(0.01...0.99), defaultValue: .number(0.2),
                summary: "The fraction of a layer's remaining weights a client prunes in one step."),
            MethodSetting(
                key: "accuracy_threshold", kind: .number(0...1), defaultValue: .number(0.5),
                summary: "The held-out accuracy the received model must reach before its client prunes."),
            MethodSetting(
                key: "holdout_fraction", kind: .number(0.01...0.99), defaultValue: .number(0.2),
                summary: "The share of each client's shard held out to evaluate its own model."),
            MethodSetting(
                key: "rewind", kind: .boolean, defaultValue: .boolean(true),
                summary: "Whether a client that pruned resets its kept weights to their initial values."),
        ] + MethodSetting.pruning.filter { $0.key == "storage" || $0.key == "fp16" },
        trainingDensity: { _ in 1 })
}

extension MethodDescriptor {
    /// FedRTS: the server adjusts the mask by Thompson sampling over Beta posteriors.
    public static let fedRTS = MethodDescriptor(
        name: "fedrts",
        summary:
            "FedRTS (Huang et al., 2025): in adjustment rounds clients send top-K gradients of pruned positions; "
            + "the server keeps a Beta posterior per position from them and from kept-weight magnitudes, and "
            + "drops and grows weights by Thompson sampling.",
        settings: MethodSetting.pruning + MethodSetting.maskAdjustment + [
            MethodSetting(
                key: "prior", kind: .number(0.01...1000), defaultValue: .number(1),
                summary: "The pseudo-count of each side of every position's Beta prior."),
            MethodSetting(
                key: "topk_buffer_bytes", kind: .integer(16...(1 << 40)), defaultValue: .integer(1 << 20),
                summary:
                    "The top-K search buffer of a client without a memory budget (others use what training leaves)."),
        ],
        trainingDensity: MethodSetting.trainedDensity)
}

extension MethodSetting {
    /// Which tensors the gradient-growth methods send dense statistics of in adjustment rounds.
    public static let gradientUpload = MethodSetting(
        key: "gradient_upload", kind: .choice(["all", "pruned"]), defaultValue: .choice("all"),
        summary:
            "Which tensors clients send dense gradients of in adjustment rounds: all trained ones (as FedPruning) "
            + "or only the pruned weights (the only ones the server reads).")

    /// The schedule of the methods whose mask changes every `delta` rounds until `t_end`.
    public static let maskAdjustment: [MethodSetting] = [
        MethodSetting(
            key: "delta", kind: .integer(1...100_000), defaultValue: .integer(10),
            summary: "Rounds between mask adjustments: rounds delta, 2 delta, ... adjust."),
        MethodSetting(
            key: "t_end", kind: .integer(0...1_000_000), defaultValue: .integer(100),
            summary: "The last round that adjusts the mask; 0 keeps the initial mask."),
        MethodSetting(
            key: "adjust_alpha", kind: .number(0...1), defaultValue: .number(0.2),
            summary: "The fraction of each layer's kept weights moved at round 0, decaying as a cosine to 0 at t_end."),
    ]

    /// The settings every sparse method shares: the target, how it is spread, how clients hold it.
    public static let pruning: [MethodSetting] = [
        MethodSetting(
            key: "density", kind: .fraction, defaultValue: nil,
            summary: "The fraction of weights kept, such as 5%."),
        MethodSetting(
            key: "distribution", kind: .choice(["erk", "er", "uniform", "global"]), defaultValue: .choice("erk"),
            summary: "How the kept weights are spread over layers: ERK, ER, uniform, or one global threshold."),
        MethodSetting(
            key: "budget", kind: .choice(["all", "prunable"]), defaultValue: .choice("all"),
            summary:
                "What the density is a fraction of: every trained parameter (as FedPruning), or the prunable weights."),
        MethodSetting(
            key: "prune_first_layer", kind: .boolean, defaultValue: .boolean(true),
            summary: "Whether the stem convolution is pruned too."),
        MethodSetting(
            key: "storage", kind: .choice(["automatic", "compact", "masked"]), defaultValue: .choice("automatic"),
            summary: "How clients hold pruned weights: sparse kernels below each layer's crossover, always, or never."),
        MethodSetting(
            key: "fp16", kind: .boolean, defaultValue: .boolean(false),
            summary:
                "Whether the values of every task travel as binary16, halving their bytes (applied by the runtime)."),
        MethodSetting(
            key: "server_samples_per_class", kind: .integer(1...1000), defaultValue: .integer(5),
            summary:
                "Samples per class of the server's small set, drawn from the test split (SNIP, GraSP, pretraining)."),
    ]

    /// The density the clients train at, from the `density` setting.
    public static let trainedDensity: @Sendable ([String: SettingValue]) -> Double = { settings in
        settings["density"]?.number ?? 1
    }
}

/// One setting a method accepts.
public struct MethodSetting: Sendable {
    /// The kinds of value a setting can take, with their ranges.
    public enum Kind: Sendable {
        /// `true` or `false`.
        case boolean
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A number in the range.
        case number(ClosedRange<Double>)
        /// A fraction in (0, 1], written `0.05` or `5%`.
        case fraction
        /// One of the words listed.
        case choice([String])
    }

    /// The key under `method:`.
    public let key: String
    /// The kind of value and its range.
    public let kind: Kind
    /// The value used when the topology does not set it; nil makes the setting required.
    public let defaultValue: SettingValue?
    /// One sentence about the setting.
    public let summary: String

    /// Creates a setting.
    public init(key: String, kind: Kind, defaultValue: SettingValue?, summary: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }
}
