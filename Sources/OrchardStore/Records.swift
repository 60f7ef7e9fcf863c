import Foundation

/// The id of a run within a store file (the `runs.id` column).
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The row id.
    public let rawValue: Int64

    /// Wraps a row id.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a run stands (the `runs.status` column).
public enum RunStatus: String, CaseIterable, Sendable, Codable {
    /// The coordinator is running it, or was killed while it was (a resumable run looks like this).
    case running
    /// Every planned round was committed.
    case completed
    /// The user stopped it (an interrupt); it can be resumed.
    case stopped
    /// The coordinator gave up on an error; `status_detail` says which.
    case failed
}

/// What the coordinator knows about a run when it starts it.
public struct RunInfo: Sendable, Equatable {
    /// The run's name, usually the topology's.
    public var name: String
    /// The topology file's text, verbatim, so that the run can be repeated from the store alone.
    public var topologyYAML: String
    /// The federated method, such as `fedavg` or `fedtiny`.
    public var method: String
    /// The model-zoo name of the architecture, such as `lenet5`.
    public var model: String
    /// The data set's name, such as `mnist` or `synthetic-images`.
    public var dataset: String
    /// The run seed, from which every random stream derives.
    public var seed: UInt64
    /// The version of the `orchard` binary that started the run.
    public var orchardVersion: String
    /// The number of client host processes serving the logical clients.
    public var processes: Int
    /// The number of rounds the topology plans.
    public var plannedRounds: Int
    /// A checkpoint is written every this many rounds (and after the last one).
    public var checkpointInterval: Int
    /// When the coordinator started the run.
    public var startedAt: Date

    /// A run description; `startedAt` defaults to now.
    public init(
        name: String, topologyYAML: String, method: String, model: String, dataset: String, seed: UInt64,
        orchardVersion: String, processes: Int, plannedRounds: Int, checkpointInterval: Int, startedAt: Date = Date()
    ) {
        self.name = name
        self.topologyYAML = topologyYAML
        self.method = method
        self.model = model
        self.dataset = dataset
        self.seed = seed
        self.orchardVersion = orchardVersion
        self.processes = processes
        self.plannedRounds = plannedRounds
        self.checkpointInterval = checkpointInterval
        self.startedAt = startedAt
    }

    /// The SHA-256 of the topology text's UTF-8 bytes, in hexadecimal (the `runs.topology_sha256` column).
    public var topologySHA256: String { SHA256.hash(topologyYAML.utf8).hex }
}

/// A run as the store holds it: what it started with and how it stands.
public struct RunRecord: Sendable, Equatable {
    /// The run's id in the file.
    public var id: RunID
    /// What the coordinator recorded when it started the run.
    public var info: RunInfo
    /// The SHA-256 of the topology text, as stored.
    public var topologySHA256: String
    /// Where the run stands.
    public var status: RunStatus
    /// Why it stopped or failed, or how it was resumed; `nil` when there is nothing to say.
    public var statusDetail: String?
    /// When it was completed, stopped or failed; `nil` while it runs (or after a crash).
    public var endedAt: Date?
    /// How many times the run was resumed from a checkpoint.
    public var resumeCount: Int
}

/// One logical client of a run, as the topology specifies it (a row of `clients`).
public struct ClientRecord: Sendable, Equatable {
    /// The client's id, as on the wire.
    public var clientID: Int
    /// The topology group it was expanded from.
    public var group: String
    /// The bytes its training may use, or `nil` for no budget.
    public var memoryBudgetBytes: Int?
    /// Uplink bandwidth, in bits per second.
    public var uplinkBitsPerSecond: Double
    /// Downlink bandwidth, in bits per second.
    public var downlinkBitsPerSecond: Double
    /// One-way latency added to each task, in seconds.
    public var latencySeconds: Double
    /// Compute speed, in floating-point operations per second.
    public var computeFLOPsPerSecond: Double
    /// The probability that the client is available when sampled, from 0 to 1.
    public var availability: Double
    /// Samples of its training shard.
    public var trainSamples: Int
    /// Samples of its test shard.
    public var testSamples: Int
    /// Samples of its validation shard.
    public var validationSamples: Int

    /// A client; the shards' sizes other than training default to zero.
    public init(
        clientID: Int, group: String, memoryBudgetBytes: Int?, uplinkBitsPerSecond: Double,
        downlinkBitsPerSecond: Double, latencySeconds: Double, computeFLOPsPerSecond: Double,
        availability: Double = 1, trainSamples: Int, testSamples: Int = 0, validationSamples: Int = 0
    ) {
        self.clientID = clientID
        self.group = group
        self.memoryBudgetBytes = memoryBudgetBytes
        self.uplinkBitsPerSecond = uplinkBitsPerSecond
        self.downlinkBitsPerSecond = downlinkBitsPerSecond
        self.latencySeconds = latencySeconds
        self.computeFLOPsPerSecond = computeFLOPsPerSecond
        self.availability = availability
        self.trainSamples = trainSamples
        self.testSamples = testSamples
        self.validationSamples = validationSamples
    }
}
