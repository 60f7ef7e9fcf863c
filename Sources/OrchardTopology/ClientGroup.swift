/// A group of identical clients: how many, and the device and network each of them has.
public struct ClientGroup: Sendable, Equatable {
    /// The group's name, unique in the topology; `group<index>` by default.
    public var name: String
    /// The number of clients, at least one.
    public var count: Int
    /// Each client's memory budget in bytes for training; nil means no budget.
    public var memory: Int?
    /// Each client's network link; nil means transfers take no simulated time.
    public var link: Link?
    /// Each client's compute speed in FLOP/s; nil means computation takes no simulated time.
    public var compute: Double?
    /// The probability that a client is reachable when it is sampled, in (0, 1]; 1 by default.
    public var availability: Double

    /// Creates a group.
    public init(
        name: String, count: Int, memory: Int? = nil, link: Link? = nil, compute: Double? = nil,
        availability: Double = 1
    ) {
        self.name = name
        self.count = count
        self.memory = memory
        self.link = link
        self.compute = compute
        self.availability = availability
    }
}

/// A client's network link, which sets the simulated time of its transfers.
public struct Link: Sendable, Equatable {
    /// Uplink bandwidth (client to coordinator) in bits per second.
    public var up: Double
    /// Downlink bandwidth (coordinator to client) in bits per second.
    public var down: Double
    /// One-way latency in seconds; 0 by default.
    public var latency: Double

    /// Creates a link.
    public init(up: Double, down: Double, latency: Double = 0) {
        self.up = up
        self.down = down
        self.latency = latency
    }
}

/// One logical client, as the expansion of the groups yields it.
public struct ClientSpec: Sendable, Equatable, Identifiable {
    /// The client's id: 0..<N, numbered through the groups in the order they are written.
    public let id: Int
    /// The name of the client's group.
    public let group: String
    /// The index of the client's group in `Topology.groups`.
    public let groupIndex: Int
    /// The client's position within its group, from 0.
    public let indexInGroup: Int
    /// The memory budget in bytes, if any.
    public let memory: Int?
    /// The network link, if simulated.
    public let link: Link?
    /// The compute speed in FLOP/s, if simulated.
    public let compute: Double?
    /// The probability of being reachable when sampled.
    public let availability: Double
}
