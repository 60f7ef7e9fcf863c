/// The training samples of every client of a run, eight bytes a client.
///
/// The coordinator's record of each client: what spreads tasks over hosts and bounds the samples
/// a result may claim.
public struct ShardSizes: Sendable, Equatable {
    /// The size of client `id` at index `id`; -1 where it is not known.
    private var sizes: [Int]

    /// The sizes of clients `0..<count`, `size(id)` each.
    public init(count: Int, size: (Int) throws -> Int) rethrows {
        sizes = try (0..<max(0, count)).map(size)
    }

    /// The sizes a dictionary gives, by client id (ids below zero are left out).
    public init(_ sizes: [Int: Int]) {
        var dense = [Int](repeating: -1, count: (sizes.keys.max() ?? -1) + 1)
        for (id, size) in sizes where id >= 0 { dense[id] = max(0, size) }
        self.sizes = dense
    }

    /// The training samples of client `id`, or nil when they are not known.
    public subscript(id: Int) -> Int? {
        guard sizes.indices.contains(id), sizes[id] >= 0 else { return nil }
        return sizes[id]
    }
}
