/// The settings of `fedtiny-clean`: pruning, the adjustment schedule, and the growth gradient.
public struct FedTinyCleanSettings: SparseMethodSettings, Equatable {
    /// The data of the growth gradient.
    public enum GrowthData: String, Sendable, CaseIterable {
        /// The first batch of a fresh shuffle.
        case batch
        /// Summed over one pass of all the local batches.
        case entire
        /// One sample twice.
        case single
        /// Standard normal values, an ablation.
        case random
    }

    public var pruning = PruningSettings()
    public var schedule = AdjustmentSchedule()
    public var gradientUpload = GradientUpload.all
    /// Local epochs in adjustment rounds; 0 uses the run's epochs.
    public var adjustmentEpochs = 0
    public var growthData = GrowthData.batch

    /// The defaults, with density 1.
    public init() {}

    public static let declarations: [SettingDeclaration<FedTinyCleanSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) } + [
            GradientUpload.declaration(\.gradientUpload),
            .integer(
                "adjustment_epochs", \.adjustmentEpochs, in: 0...1000,
                "Local epochs in adjustment rounds; 0 uses training.epochs."),
            .choice(
                "growth_data_mode", \.growthData,
                "The data of the growth gradient: one batch, all local batches summed, one sample twice, or "
                    + "random normal values (an ablation)."),
        ]
}

extension MethodDescriptor {
    /// FedTiny-Clean, FedPruning's FedTiny: server prune-and-grow from clients' dense gradients.
    public static let fedTinyClean = MethodDescriptor(
        name: "fedtiny-clean",
        summary:
            "FedTiny-Clean, the FedTiny of the FedPruning library: in adjustment rounds clients send a dense "
            + "gradient, and the server prunes the smallest weights and grows the largest gradients (cosine fraction).",
        settings: FedTinyCleanSettings.self, trainingDensity: FedTinyCleanSettings.trainingDensity,
        server: { try FedTinyCleanServer(setup: $0, settings: $1) },
        client: { try FedTinyCleanClient(setup: $0, settings: $1) })
}
