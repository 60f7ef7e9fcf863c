/// A client's simulated network link and processor.
public struct ClientProfile: Sendable, Equatable {
    public var id: Int
    public var group: String
    /// Memory budget in bytes, if the topology sets one.
    public var memoryBudget: Int?
    public var uplinkBitsPerSecond: Double
    public var downlinkBitsPerSecond: Double
    public var latencySeconds: Double
    public var flopsPerSecond: Double
    /// The probability that the client is online in a round.
    public var availability: Double

    public init(
        id: Int, group: String = "default", memoryBudget: Int? = nil, uplinkBitsPerSecond: Double = 100e6,
        downlinkBitsPerSecond: Double = 100e6, latencySeconds: Double = 0, flopsPerSecond: Double = 10e9,
        availability: Double = 1
    ) {
        self.id = id
        self.group = group
        self.memoryBudget = memoryBudget
        self.uplinkBitsPerSecond = uplinkBitsPerSecond
        self.downlinkBitsPerSecond = downlinkBitsPerSecond
        self.latencySeconds = latencySeconds
        self.flopsPerSecond = flopsPerSecond
        self.availability = availability
    }
}

/// Simulated time: how long a task would take on a client's link and processor.
///
/// It depends only on bytes and counted FLOPs, never on how busy this machine was, so it is the same
/// on every rerun: latency + down bytes / down bandwidth + FLOPs / speed + up bytes / up bandwidth.
public enum VirtualClock {
    /// The simulated seconds of one task.
    public static func taskSeconds(profile: ClientProfile, bytesDown: Int, bytesUp: Int, flops: Double) -> Double {
        profile.latencySeconds + Double(bytesDown * 8) / profile.downlinkBitsPerSecond + flops / profile.flopsPerSecond
            + Double(bytesUp * 8) / profile.uplinkBitsPerSecond
    }

    /// How long a synchronous round lasts: its slowest included client, or the deadline when a
    /// straggler was dropped (the server waited for it until then).
    public static func roundSeconds(included: [Double], droppedAtDeadline: Bool, deadline: Double?) -> Double {
        let slowest = included.max() ?? 0
        if droppedAtDeadline, let deadline { return max(slowest, deadline) }
        return slowest
    }
}
