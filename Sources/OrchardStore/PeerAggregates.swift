/// A round's client tasks counted by how they ended.
public struct RoundTasks: Sendable, Equatable {
    /// The round.
    public var round: Int
    /// The tasks that ended with each status; a status no task ended with is absent.
    public var byStatus: [ClientRoundStatus: Int]

    /// A round's counts.
    public init(round: Int, byStatus: [ClientRoundStatus: Int]) {
        self.round = round
        self.byStatus = byStatus
    }

    /// The tasks that ended with `status`.
    public subscript(status: ClientRoundStatus) -> Int { byStatus[status] ?? 0 }
}

/// What one client host did over a run: the versions and clients it announced, and its events.
public struct HostHistory: Sendable, Equatable {
    /// The host's id.
    public var hostID: String
    /// The software version of its latest event that gave one, or `nil`.
    public var softwareVersion: String?
    /// The clients of its latest event that named some, as ranges such as `0-9,20`, or `nil`.
    public var clients: String?
    /// Its events in the order they were recorded, each with its round.
    public var events: [Event]

    /// One event of the host and the round it was recorded with.
    public struct Event: Sendable, Equatable {
        /// The round.
        public var round: Int
        /// The event as committed.
        public var record: HostEventRecord

        /// An event of a round.
        public init(round: Int, record: HostEventRecord) {
            self.round = round
            self.record = record
        }
    }

    /// A host's history.
    public init(hostID: String, softwareVersion: String?, clients: String?, events: [Event]) {
        self.hostID = hostID
        self.softwareVersion = softwareVersion
        self.clients = clients
        self.events = events
    }
}

/// The messages of one peer rejected with one error code, summed over a run.
public struct PeerRejectionTotal: Sendable, Equatable {
    /// The peer: a host id, or `0x` and the hex of a routing id.
    public var peer: String
    /// The protocol's error code name, such as `malformed`.
    public var code: String
    /// The rejected messages, summed over the rounds.
    public var count: Int
    /// The rounds that recorded some, in order.
    public var rounds: [Int]
    /// The first example recorded, or `nil` if no round kept one.
    public var example: String?

    /// A peer's total for one code.
    public init(peer: String, code: String, count: Int, rounds: [Int], example: String?) {
        self.peer = peer
        self.code = code
        self.count = count
        self.rounds = rounds
        self.example = example
    }
}
