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
        let ids = clients.ids
        let data = try RunData.load(plan, clients: Set(ids))
        let budgets = Dictionary(uniqueKeysWithValues: configuration.profiles.map { ($0.id, $0.memoryBudget) })
        let locals = ids.compactMap { id in
            data.shards[id].map { LocalClient(id: id, data: $0, memoryBudget: budgets[id] ?? nil) }
        }
        let method = try MethodRegistry.standard.client(plan.topology.method.name, setup: configuration.setup)
        var settings = settings
        settings.wire.limits = try RunLimits.decoding(for: configuration.setup)
        let host = try ClientHost(
            settings: settings, clients: locals,
            profiles: configuration.profiles.filter { clients.contains($0.id) }, method: method)
        try host.run()
    }
}
