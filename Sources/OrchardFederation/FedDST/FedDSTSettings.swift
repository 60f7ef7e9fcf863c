/// The settings of `feddst`: pruning, the adjustment schedule, and when in a round clients adjust.
public struct FedDSTSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    public var schedule = AdjustmentSchedule()
    /// Local epochs before a client adjusts its mask in an adjustment round.
    public var adjustEpochs = 0

    /// The defaults, with density 1.
    public init() {}

    public static let declarations: [SettingDeclaration<FedDSTSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) } + [
            .integer(
                "adjust_epochs", \.adjustEpochs, in: 0...1000,
                "Local epochs before a client adjusts its mask in an adjustment round (0: first; the round's "
                    + "epochs: last).")
        ]
}

extension MethodDescriptor {
    /// FedDST: clients move their own weights RigL style; the server takes the union and re-prunes.
    public static let fedDST = MethodDescriptor(
        name: "feddst",
        summary:
            "FedDST (Bibikar et al., 2022): clients prune and regrow their own masks; the server averages, "
            + "takes the union of the masks and prunes back to the density by magnitude.",
        settings: FedDSTSettings.self, trainingDensity: FedDSTSettings.trainingDensity,
        server: { try FedDSTServer(setup: $0, settings: $1) },
        client: { try FedDSTClient(setup: $0, settings: $1) })
}
