import OrchardFederation
import OrchardTopology
import OrchardWire

/// Everything `orchard client` does: build the served clients' data and serve tasks until shutdown.
public enum HostSession {
    /// Serves `clients` of the run `plan` describes, connected as `settings` say.
    /// - Throws: `RuntimeError` when `clients` names ids the topology does not have (checked before
    ///   any range is expanded), and whatever stops the host.
    public static func serve(plan: RunPlan, clients: ClientRanges, settings: ClientHost.Settings) throws {
        // The ranges are checked before any is expanded, so that a huge range costs nothing.
        let available = plan.topology.clientCount
        let beyond = clients.beyond(available)
        guard beyond.isEmpty else {
            throw RuntimeError(
                "--clients '\(clients)': \(plan.file) has clients 0-\(available - 1) only, "
                    + "not \(beyond.joined(separator: ", "))")
        }
        let configuration = try RunConfiguration(plan)
        let served = try HostClients.load(plan, served: clients, clients: configuration.clients)
        let method = try MethodRegistry.standard.client(plan.topology.method.name, setup: configuration.setup)
        var settings = settings
        settings.wire.limits = try RunLimits.decoding(for: configuration.setup)
        let host = try ClientHost(settings: settings, clients: served, method: method)
        try host.run()
    }
}
