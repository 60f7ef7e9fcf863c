extension MethodDescriptor {
    /// Federated averaging of dense models, weighted by each client's number of training samples.
    public static let fedAvg = MethodDescriptor(
        name: "fedavg",
        summary: "Federated averaging of dense models, weighted by training samples (McMahan et al., 2017).",
        settings: NoSettings.self,
        server: { setup, _ in try FedAvgServer(setup: setup) },
        client: { setup, _ in try FedAvgClient(setup: setup) })
}
