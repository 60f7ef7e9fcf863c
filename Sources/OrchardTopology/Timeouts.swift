/// Wall-clock limits of the real processes, as opposed to the simulated clock's deadline.
public struct Timeouts: Sendable, Equatable {
    /// Seconds the coordinator waits for a task's result before counting it as timed out; 600 by default.
    public var task: Double
    /// Seconds between heartbeats, each side's sign of life when it has nothing else to send; 5 by default.
    public var heartbeat: Double
    /// Heartbeat intervals of silence after which the coordinator presumes a host lost; 3 by default.
    public var liveness: Int

    /// Creates the limits.
    public init(task: Double = 600, heartbeat: Double = 5, liveness: Int = 3) {
        self.task = task
        self.heartbeat = heartbeat
        self.liveness = liveness
    }
}
