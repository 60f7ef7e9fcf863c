import OrchardData
import OrchardFederation
import OrchardTopology
import Synchronization

/// The logical clients a host serves, each built when a task first needs it.
///
/// A host of a million Synthetic clients holds their ranges, not their data: a client's shard is
/// generated (or cut from the partitioned set) when the client is given a task, and the most
/// recently used `capacity` of them are kept, so that the memory is bounded whatever the number
/// of clients served.
public final class HostClients: Sendable {
    /// The clients served.
    public let served: ClientRanges
    private let capacity: Int
    private let build: @Sendable (Int) throws -> LocalClient
    private let cache = Mutex(Cache())

    /// The clients built so far, the most recently used last.
    struct Cache {
        var clients: [Int: LocalClient] = [:]
        var order: [Int] = []
    }

    /// Clients `served`, each built by `build` when needed; `capacity` of them are kept.
    public init(served: ClientRanges, capacity: Int = 256, build: @escaping @Sendable (Int) throws -> LocalClient) {
        self.served = served
        self.capacity = max(1, capacity)
        self.build = build
    }

    /// The clients given, all kept.
    /// - Throws: `RuntimeError` when two have the same id, or when there is none.
    public convenience init(_ clients: [LocalClient]) throws {
        var byID: [Int: LocalClient] = [:]
        for client in clients {
            guard byID.updateValue(client, forKey: client.id) == nil else {
                throw RuntimeError("client \(client.id) is given twice")
            }
        }
        let given = byID
        let served = try ClientRanges(given.keys.map { $0...$0 })
        self.init(served: served, capacity: given.count) { id in
            guard let client = given[id] else { throw RuntimeError("no data for client \(id)") }
            return client
        }
    }

    /// Client `id`, built if it is not kept; nil when the host does not serve it.
    public func client(_ id: Int) throws -> LocalClient? {
        guard served.contains(id) else { return nil }
        if let kept = cache.withLock({ $0.touch(id) }) { return kept }
        let client = try build(id)
        cache.withLock { $0.keep(client, capacity: capacity) }
        return client
    }

    /// The clients of `plan` in `served`, with the memory budgets of their groups.
    ///
    /// Synthetic clients are generated one by one from their own streams; the clients of a
    /// partitioned data set get their share of the one partition every process computes alike.
    public static func load(_ plan: RunPlan, served: ClientRanges, clients directory: ClientDirectory) throws
        -> HostClients
    {
        let topology = plan.topology
        let budget: @Sendable (Int) -> Int? = { directory.profile(of: $0)?.memoryBudget }
        if case .synthetic(let settings) = topology.dataset.kind {
            let seed = topology.seed
            return HostClients(served: served) { id in
                let split = SyntheticFederated.client(
                    id, alpha: settings.alpha, beta: settings.beta, dimension: settings.dimension,
                    classes: settings.classes, seed: seed, testFraction: settings.testFraction)
                return LocalClient(id: id, data: split.train, memoryBudget: budget(id))
            }
        }
        let shards = try RunData.partitionedShards(plan, keeping: served)
        return HostClients(served: served, capacity: max(1, shards.count)) { id in
            guard let data = shards[id] else { throw RuntimeError("no data for client \(id)") }
            return LocalClient(id: id, data: data, memoryBudget: budget(id))
        }
    }
}

extension HostClients.Cache {
    /// The kept client `id`, now the most recently used.
    mutating func touch(_ id: Int) -> LocalClient? {
        guard let client = clients[id] else { return nil }
        if let index = order.lastIndex(of: id) { order.remove(at: index) }
        order.append(id)
        return client
    }

    /// Keeps `client`, dropping the least recently used beyond `capacity`.
    mutating func keep(_ client: LocalClient, capacity: Int) {
        if clients.updateValue(client, forKey: client.id) == nil { order.append(client.id) }
        while order.count > capacity { clients[order.removeFirst()] = nil }
    }
}
