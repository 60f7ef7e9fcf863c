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
/// on every rerun: the task's transfer down, its FLOPs at the client's speed, and its result's
/// transfer up. Each transfer is TCP's over the link (`transferSeconds(bytes:bitsPerSecond:latency:)`).
public enum VirtualClock {
    /// The largest TCP payload of a segment over Ethernet's 1500-byte MTU, with timestamps.
    public static let segmentPayloadBytes = 1448
    /// What each segment adds on the link: Ethernet (14), IPv4 (20) and TCP with timestamps (32) headers.
    public static let segmentHeaderBytes = 66
    /// The congestion window a transfer starts with, in segments (RFC 6928); Linux also falls back to
    /// it after a connection idles for longer than its retransmission timeout, as between rounds.
    public static let initialWindowSegments = 10

    /// The simulated seconds of one task.
    public static func taskSeconds(profile: ClientProfile, bytesDown: Int, bytesUp: Int, flops: Double) -> Double {
        communicationSeconds(profile: profile, bytesDown: bytesDown, bytesUp: bytesUp) + flops / profile.flopsPerSecond
    }

    /// The simulated seconds a task spends on its link: its transfer down and its result's up.
    public static func communicationSeconds(profile: ClientProfile, bytesDown: Int, bytesUp: Int) -> Double {
        transferSeconds(bytes: bytesDown, bitsPerSecond: profile.downlinkBitsPerSecond, latency: profile.latencySeconds)
            + transferSeconds(
                bytes: bytesUp, bitsPerSecond: profile.uplinkBitsPerSecond, latency: profile.latencySeconds)
    }

    /// The seconds from the first byte of a message leaving to its last arriving, over a link of
    /// `bitsPerSecond` and one-way `latency`.
    ///
    /// The message crosses as TCP segments, each with its headers; its sender starts with the
    /// initial window and doubles it every round trip (slow start) until the window fills the
    /// link, waiting for acknowledgements in between; then the rest flows at the link's rate. The
    /// last byte arrives one latency after it leaves.
    public static func transferSeconds(bytes: Int, bitsPerSecond: Double, latency: Double) -> Double {
        guard bytes > 0, bitsPerSecond.isFinite, bitsPerSecond > 0 else { return bytes > 0 ? latency : 0 }
        let segments = (bytes + segmentPayloadBytes - 1) / segmentPayloadBytes
        let segmentSeconds = Double((segmentPayloadBytes + segmentHeaderBytes) * 8) / bitsPerSecond
        let roundTrip = 2 * latency
        var seconds = latency
        var remaining = segments
        var window = initialWindowSegments
        // Each window that cannot fill the round trip costs a whole round trip; once a window's
        // sending lasts longer than a round trip, acknowledgements keep the link busy to the end.
        while remaining > window, Double(window) * segmentSeconds < roundTrip {
            seconds += roundTrip
            remaining -= window
            window *= 2
        }
        let lastSegment = bytes - (segments - 1) * segmentPayloadBytes
        return seconds + Double(remaining - 1) * segmentSeconds
            + Double(lastSegment + segmentHeaderBytes) * 8 / bitsPerSecond
    }
    /// How long a synchronous round lasts: its slowest included client, or the deadline when a
    /// straggler was dropped (the server waited for it until then).
    public static func roundSeconds(included: [Double], droppedAtDeadline: Bool, deadline: Double?) -> Double {
        let slowest = included.max() ?? 0
        if droppedAtDeadline, let deadline { return max(slowest, deadline) }
        return slowest
    }
}
