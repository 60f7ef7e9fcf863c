import COrchardZMQ

/// Waits until one of several sockets can be read or written (`zmq_poll`).
///
/// The coordinator's loop is one thread around one poller: it wakes for a message or when the
/// next deadline or heartbeat is due, whichever comes first. The poller holds its sockets, so
/// they stay open while registered.
public struct ZMQPoller {
    /// What a socket is ready for.
    public struct Events: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }

        /// At least one message can be received without blocking (`ZMQ_POLLIN`).
        public static let readable = Events(rawValue: Int16(ZMQ_POLLIN))
        /// At least one message can be sent without blocking (`ZMQ_POLLOUT`).
        public static let writable = Events(rawValue: Int16(ZMQ_POLLOUT))
    }

    private var sockets: [ZMQSocket] = []
    private var interests: [Events] = []

    /// Creates a poller with no sockets.
    public init() {}

    /// Adds a socket and returns its index in the result of `poll`.
    @discardableResult
    public mutating func register(_ socket: ZMQSocket, for events: Events = .readable) -> Int {
        sockets.append(socket)
        interests.append(events)
        return sockets.count - 1
    }

    /// The number of registered sockets.
    public var count: Int { sockets.count }

    /// Waits until a registered socket is ready or the timeout passes.
    ///
    /// - Parameter timeout: how long to wait; `nil` waits forever, `.zero` only looks. It is
    ///   rounded up to whole milliseconds, so a short positive timeout never turns into a busy look.
    /// - Returns: the events that are ready, one entry per registered socket in registration
    ///   order; all entries are empty when the timeout passed.
    public func poll(timeout: Duration?) throws(ZMQError) -> [Events] {
        var items = [zmq_pollitem_t]()
        items.reserveCapacity(sockets.count)
        for (socket, events) in zip(sockets, interests) {
            let handle = try socket.openHandle("zmq_poll")
            items.append(zmq_pollitem_t(socket: handle, fd: 0, events: events.rawValue, revents: 0))
        }
        let milliseconds = timeout.map(Self.milliseconds) ?? -1
        let count = items.count
        try retryingInterrupts("zmq_poll") {
            items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32(count), milliseconds) }
        }
        return items.map { Events(rawValue: $0.revents).intersection([.readable, .writable]) }
    }

    /// A duration in whole milliseconds, rounded up, at least 0.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = attoseconds / perMillisecond + (attoseconds % perMillisecond > 0 ? 1 : 0)
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, whole <= Int64(Int32.max) else { return Int(Int32.max) }
        return Int(whole + fraction)
    }
}
