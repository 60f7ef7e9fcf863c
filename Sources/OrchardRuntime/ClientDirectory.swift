import OrchardTopology

/// The run's clients as blocks of consecutive ids that share one profile: a few dozen bytes a
/// group of the topology, whatever the number of clients in it.
///
/// Every process asks it for a client's profile instead of holding one profile per client, so
/// that a million clients cost the coordinator and the hosts nothing until one is sampled.
public struct ClientDirectory: Sendable, Equatable {
    /// Consecutive ids, `first..<first + count`, whose profiles differ only in their id.
    struct Block: Sendable, Equatable {
        var first: Int
        var count: Int
        /// The profile of every client of the block, with the block's first id.
        var profile: ClientProfile

        var ids: Range<Int> { first..<(first + count) }
    }

    /// The blocks, in the order of the clients they hold.
    let blocks: [Block]
    /// The number of clients.
    public let count: Int
    /// Whether the blocks come in increasing order of ids, so that a lookup can bisect.
    private let isSorted: Bool

    /// The clients of `topology`'s groups; a group without a link or a speed is simulated as
    /// infinitely fast in that respect.
    public init(_ topology: Topology) {
        var blocks: [Block] = []
        var first = 0
        for group in topology.groups {
            let profile = ClientProfile(
                id: first, group: group.name, memoryBudget: group.memory,
                uplinkBitsPerSecond: group.link?.up ?? .infinity, downlinkBitsPerSecond: group.link?.down ?? .infinity,
                latencySeconds: group.link?.latency ?? 0, flopsPerSecond: group.compute ?? .infinity,
                availability: group.availability)
            blocks.append(Block(first: first, count: group.count, profile: profile))
            first += group.count
        }
        self.init(blocks: blocks)
    }

    /// The clients of `profiles`, in the order given; neighbours that differ only in consecutive
    /// ids share a block.
    public init(profiles: [ClientProfile]) {
        var blocks: [Block] = []
        for profile in profiles {
            if let last = blocks.last, last.first + last.count == profile.id, Self.sameButID(last.profile, profile) {
                blocks[blocks.count - 1].count += 1
            } else {
                blocks.append(Block(first: profile.id, count: 1, profile: profile))
            }
        }
        self.init(blocks: blocks)
    }

    private init(blocks: [Block]) {
        self.blocks = blocks.filter { $0.count > 0 }
        count = self.blocks.reduce(0) { $0 + $1.count }
        isSorted = zip(self.blocks, self.blocks.dropFirst()).allSatisfy { $0.ids.upperBound <= $1.first }
    }

    /// The profile of client `id`, or nil when the run has no such client.
    public func profile(of id: Int) -> ClientProfile? {
        guard let block = block(holding: id) else { return nil }
        var profile = block.profile
        profile.id = id
        return profile
    }

    /// Whether the run has a client `id`.
    public func contains(_ id: Int) -> Bool { block(holding: id) != nil }

    /// Every client's profile, in order; for small runs and tests, since it costs a profile a client.
    public var profiles: [ClientProfile] {
        blocks.flatMap { block in
            block.ids.map { id in
                var profile = block.profile
                profile.id = id
                return profile
            }
        }
    }

    /// The ids of every client, as sorted ranges, adjacent blocks merged.
    public var ranges: [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        for block in blocks.sorted(by: { $0.first < $1.first }) {
            if let last = ranges.last, last.upperBound + 1 >= block.first {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, block.first + block.count - 1)
            } else {
                ranges.append(block.first...(block.first + block.count - 1))
            }
        }
        return ranges
    }

    private func block(holding id: Int) -> Block? {
        guard isSorted else { return blocks.first { $0.ids.contains(id) } }
        return sortedIndex(holding: id).map { blocks[$0] }
    }

    private func sortedIndex(holding id: Int) -> Int? {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].first <= id { low = middle + 1 } else { high = middle }
        }
        return low > 0 && blocks[low - 1].ids.contains(id) ? low - 1 : nil
    }

    private static func sameButID(_ one: ClientProfile, _ other: ClientProfile) -> Bool {
        var other = other
        other.id = one.id
        return one == other
    }
}
