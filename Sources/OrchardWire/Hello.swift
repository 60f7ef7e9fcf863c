/// What one logical client declares about itself when its host says hello.
///
/// The figures are the host's own view; a topology that sets them wins. Zero means "not stated".
public struct ClientCapabilities: Sendable, Equatable {
    /// The logical client's id, unique in the run.
    public var clientID: UInt32
    /// The memory the client may use for a task, in bytes.
    public var memoryBudgetBytes: UInt64
    /// The client's compute speed, in floating-point operations a second.
    public var computeFLOPsPerSecond: Double
    /// The client's upload bandwidth, in bits a second.
    public var uplinkBitsPerSecond: Double
    /// The client's download bandwidth, in bits a second.
    public var downlinkBitsPerSecond: Double
    /// The one-way latency of the client's link, in seconds.
    public var latencySeconds: Double
    /// Further declarations, for properties this version has no field for.
    public var extra: [String: String]

    /// Creates a client's declaration.
    public init(
        clientID: UInt32, memoryBudgetBytes: UInt64 = 0, computeFLOPsPerSecond: Double = 0,
        uplinkBitsPerSecond: Double = 0, downlinkBitsPerSecond: Double = 0,
        latencySeconds: Double = 0, extra: [String: String] = [:]
    ) {
        self.clientID = clientID
        self.memoryBudgetBytes = memoryBudgetBytes
        self.computeFLOPsPerSecond = computeFLOPsPerSecond
        self.uplinkBitsPerSecond = uplinkBitsPerSecond
        self.downlinkBitsPerSecond = downlinkBitsPerSecond
        self.latencySeconds = latencySeconds
        self.extra = extra
    }
}

/// The first message of a client host on a connection: who it is and which clients it serves.
///
/// The clients are stated as ranges of ids, so that a hello stays a few dozen bytes whether the
/// host serves ten clients or a million.
public struct Hello: Sendable, Equatable {
    /// The host's id: 1 to 255 bytes of UTF-8, not starting with a zero byte.
    ///
    /// The host also sets it as its DEALER's routing id, so a reconnecting host is recognised.
    public var hostID: String
    /// The logical clients the host serves: at least one range, sorted, none overlapping another.
    public var clientRanges: [ClosedRange<UInt32>]
    /// Optional declarations of some of the served clients, each at most once.
    public var clients: [ClientCapabilities]
    /// The host's software version, for the run's records.
    public var softwareVersion: String
    /// A number the host process draws when it starts (0: not stated), so that the coordinator
    /// tells a reconnecting host from a second process started under the same host id.
    public var instance: UInt64

    /// Creates a hello for the clients of `clientRanges`.
    public init(
        hostID: String, clientRanges: [ClosedRange<UInt32>], clients: [ClientCapabilities] = [],
        softwareVersion: String = "", instance: UInt64 = 0
    ) {
        self.hostID = hostID
        self.clientRanges = clientRanges
        self.clients = clients
        self.softwareVersion = softwareVersion
        self.instance = instance
    }

    /// Creates a hello for the clients `clients` declare, each id a range of its own, in the order given.
    public init(hostID: String, clients: [ClientCapabilities], softwareVersion: String = "", instance: UInt64 = 0) {
        self.init(
            hostID: hostID, clientRanges: clients.map { $0.clientID...$0.clientID }, clients: clients,
            softwareVersion: softwareVersion, instance: instance)
    }

    /// How many clients the ranges hold.
    public var clientCount: Int { clientRanges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }
}

/// The coordinator's answer to a hello: the host is in the run, with these of its clients.
public struct Welcome: Sendable, Equatable {
    /// The name of the run's topology.
    public var topologyName: String
    /// The run seed; every random stream of the run derives from it.
    public var seed: UInt64
    /// The clients of the hello that take part, as ranges; the others get no tasks.
    public var acceptedClientRanges: [ClosedRange<UInt32>]
    /// How often each side sends a heartbeat when it has nothing else to send, in milliseconds.
    public var heartbeatIntervalMilliseconds: UInt32
    /// How many intervals may pass without any message before a peer is presumed lost.
    public var heartbeatLiveness: UInt32
    /// Run-wide settings, such as the data set.
    public var settings: [String: String]

    /// Creates a welcome.
    public init(
        topologyName: String, seed: UInt64, acceptedClientRanges: [ClosedRange<UInt32>],
        heartbeatIntervalMilliseconds: UInt32 = 1000, heartbeatLiveness: UInt32 = 5,
        settings: [String: String] = [:]
    ) {
        self.topologyName = topologyName
        self.seed = seed
        self.acceptedClientRanges = acceptedClientRanges
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.heartbeatLiveness = heartbeatLiveness
        self.settings = settings
    }
}
