import OrchardFederation
import OrchardTopology
import OrchardWire

/// Everything `orchard client` does: build the served clients' data and serve tasks until shutdown.
public enum HostSession {
    /// Parses `0-99`, `3`, or `0-9,20-29` into client ids.
    public static func parseClients(_ text: String) throws -> [Int] {
        var ids: [Int] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingSpaces) }
            switch bounds.count {
            case 1 where bounds[0] != nil && bounds[0]! >= 0:
                ids.append(bounds[0]!)
            case 2 where bounds[0] != nil && bounds[1] != nil && 0 <= bounds[0]! && bounds[0]! <= bounds[1]!:
                ids.append(contentsOf: bounds[0]!...bounds[1]!)
            default:
                throw RuntimeError("--clients '\(text)': '\(part)' is not a client id or a range such as 0-99")
            }
        }
        guard !ids.isEmpty else { throw RuntimeError("--clients '\(text)' names no client") }
        return ids
    }

    /// Serves `clients` of the run `plan` describes, connected to `endpoint`.
    public static func serve(
        plan: RunPlan, clients: [Int], endpoint: String, hostID: String, parentProcess: Int32? = nil,
        security: WireSecurity = .insecure
    ) throws {
        let configuration = try RunConfiguration(plan)
        let known = Set(configuration.profiles.map(\.id))
        let unknown = clients.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw RuntimeError(
                "--clients names \(Coordinator.describe(unknown)), but \(plan.file) has clients 0-\(known.count - 1)")
        }
        let data = try RunData.load(plan, clients: Set(clients))
        let budgets = Dictionary(uniqueKeysWithValues: configuration.profiles.map { ($0.id, $0.memoryBudget) })
        let locals = clients.compactMap { id in
            data.shards[id].map { LocalClient(id: id, data: $0, memoryBudget: budgets[id] ?? nil) }
        }
        let method = try MethodRegistry.client(plan.topology.method.name, setup: configuration.setup)
        var settings = ClientHost.Settings(endpoint: endpoint, hostID: hostID)
        settings.parentProcess = parentProcess
        settings.wire.security = security
        let host = try ClientHost(
            settings: settings, clients: locals,
            profiles: configuration.profiles.filter { Set(clients).contains($0.id) }, method: method)
        try host.run()
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
