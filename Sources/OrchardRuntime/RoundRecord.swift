import OrchardFederation

/// How one client's part in a round ended, with its figures.
public struct ClientRoundRecord: Sendable {
    public enum Status: String, Sendable {
        case ok, dropped, timeout, refused, error
    }

    public var client: Int
    public var task: String
    public var status: Status
    public var reason: String
    public var samples: Int
    public var loss: Double?
    public var flops: Double
    public var memoryBudget: Int?
    public var measuredPeakBytes: Int?
    public var simSeconds: Double
    public var wallSeconds: Double
    public var bytesDown: Int
    public var bytesUp: Int
}

/// The bytes of one message, as the coordinator sent or received them.
public struct MessageRecord: Sendable {
    public enum Direction: String, Sendable { case down, up }

    public var client: Int?
    public var direction: Direction
    public var kind: String
    public var encoding: String
    public var bytes: Int
}

/// Everything a round produced, written to the store in one transaction.
public struct RoundRecord: Sendable {
    public var round: Int
    public var phase: String
    public var simStart: Double
    public var simSeconds: Double
    public var wallSeconds: Double
    /// Time the coordinator spent encoding, sending, receiving, decoding, aggregating and writing.
    public var coordinatorSeconds: Double
    public var evaluationSeconds: Double
    public var sampled: Int
    public var clients: [ClientRoundRecord]
    public var messages: [MessageRecord]
    public var testAccuracy: Double?
    public var testLoss: Double?
    public var trainLoss: Double?

    public var answered: Int { clients.filter { $0.status == .ok }.count }
    public var dropped: Int { clients.count - answered }
    public var bytesUp: Int { messages.filter { $0.direction == .up }.reduce(0) { $0 + $1.bytes } }
    public var bytesDown: Int { messages.filter { $0.direction == .down }.reduce(0) { $0 + $1.bytes } }
}

/// The global state saved every few rounds, from which a killed run resumes.
public struct CheckpointRecord: Sendable {
    public var round: Int
    public var simTime: Double
    public var entries: [(name: String, shape: [Int])]
    public var values: [Float]
}

/// Where the coordinator writes rounds and checkpoints; the SQLite store implements it.
public protocol RoundRecorder: AnyObject {
    /// Writes a round and, if given, a checkpoint taken after it, all or nothing.
    func commit(_ round: RoundRecord, checkpoint: CheckpointRecord?) throws
}
