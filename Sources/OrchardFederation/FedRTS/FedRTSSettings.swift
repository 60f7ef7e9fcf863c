/// The settings of `fedrts`: pruning, the adjustment schedule, the Beta prior and the top-K buffer.
public struct FedRTSSettings: SparseMethodSettings, Equatable {
    public var pruning = PruningSettings()
    public var schedule = AdjustmentSchedule()
    /// The pseudo-count on each side of every position's Beta prior.
    public var prior = 1.0
    /// The top-K search buffer of a client without a memory budget, in bytes.
    public var topKBufferBytes = 1 << 20

    /// The defaults, with density 1.
    public init() {}

    public static let declarations: [SettingDeclaration<FedRTSSettings>] =
        PruningSettings.declarations.map { $0.within(\.pruning) }
        + AdjustmentSchedule.declarations.map { $0.within(\.schedule) } + [
            .number("prior", \.prior, in: 0.01...1000, "The pseudo-count of each side of every position's Beta prior."),
            .integer(
                "topk_buffer_bytes", \.topKBufferBytes, in: 16...(1 << 40),
                "The top-K search buffer of a client without a memory budget (others use what training leaves)."),
        ]
}

extension MethodDescriptor {
    /// FedRTS: the server adjusts the mask by Thompson sampling over Beta posteriors.
    public static let fedRTS = MethodDescriptor(
        name: "fedrts",
        summary:
            "FedRTS (Huang et al., 2025): in adjustment rounds clients send top-K gradients of pruned positions; "
            + "the server keeps a Beta posterior per position from them and from kept-weight magnitudes, and "
            + "drops and grows weights by Thompson sampling.",
        settings: FedRTSSettings.self, trainingDensity: FedRTSSettings.trainingDensity,
        server: { try FedRTSServer(setup: $0, settings: $1) },
        client: { try FedRTSClient(setup: $0, settings: $1) })
}
