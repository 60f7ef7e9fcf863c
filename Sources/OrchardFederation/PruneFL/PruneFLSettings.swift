/// The settings of `prunefl`: pruning, the adjustment schedule, and which gradients clients upload.
public struct PruneFLSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    public var schedule = AdjustmentSchedule()
    public var gradientUpload = GradientUpload.all

    /// The defaults, with density 1.
    public init() {}

    public static let declarations: [SettingDeclaration<PruneFLSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) } + [GradientUpload.declaration(\.gradientUpload)]
}

extension MethodDescriptor {
    /// PruneFL as FedPruning runs it: the server moves weights by clients' mean squared gradients.
    public static let pruneFL = MethodDescriptor(
        name: "prunefl",
        summary:
            "PruneFL as FedPruning runs it (after Jiang et al., 2022): in adjustment rounds clients send the "
            + "mean squared gradient of every position, and the server prunes the smallest weights and grows "
            + "the positions of largest importance.",
        settings: PruneFLSettings.self, trainingDensity: PruneFLSettings.trainingDensity,
        server: { try PruneFLServer(setup: $0, settings: $1) },
        client: { try PruneFLClient(setup: $0, settings: $1) })
}
