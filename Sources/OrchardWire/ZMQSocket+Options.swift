import COrchardZMQ

/// Typed access to the socket options Orchard sets.
extension ZMQSocket {
    /// Sets how long, in milliseconds, closing the socket may wait to send queued messages
    /// (`ZMQ_LINGER`); 0 drops them, -1 waits forever.
    public func setLinger(milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_LINGER, "ZMQ_LINGER", milliseconds)
    }

    /// The linger period in milliseconds.
    public func linger() throws(ZMQError) -> Int32 { try int32Option(ZMQ_LINGER, "ZMQ_LINGER") }

    /// Sets how many whole messages may wait to be sent to one peer (`ZMQ_SNDHWM`); 0 is no limit.
    ///
    /// Past the mark, a send blocks or fails with `.timeout`; a ROUTER without
    /// `setRouterMandatory(true)` silently drops instead.
    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDHWM, "ZMQ_SNDHWM", messages)
    }

    /// The send high-water mark in messages.
    public func sendHighWaterMark() throws(ZMQError) -> Int32 {
        try int32Option(ZMQ_SNDHWM, "ZMQ_SNDHWM")
    }

    /// Sets how many whole messages may wait to be received from one peer (`ZMQ_RCVHWM`).
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try setOption(ZMQ_RCVHWM, "ZMQ_RCVHWM", messages)
    }

    /// The receive high-water mark in messages.
    public func receiveHighWaterMark() throws(ZMQError) -> Int32 {
        try int32Option(ZMQ_RCVHWM, "ZMQ_RCVHWM")
    }

    /// Sets how long a receive waits before failing with `.timeout` (`ZMQ_RCVTIMEO`); -1 forever.
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", milliseconds)
    }

    /// The receive timeout in milliseconds.
    public func receiveTimeout() throws(ZMQError) -> Int32 {
        try int32Option(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO")
    }

    /// Sets how long a send waits for room before failing with `.timeout` (`ZMQ_SNDTIMEO`).
    public func setSendTimeout(milliseconds: Int32) throws(ZMQError) {
        try setOption(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", milliseconds)
    }

    /// The send timeout in milliseconds.
    public func sendTimeout() throws(ZMQError) -> Int32 {
        try int32Option(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO")
    }

    /// Sets the largest frame a peer may send, in bytes (`ZMQ_MAXMSGSIZE`); -1 is no limit.
    ///
    /// ZeroMQ disconnects a peer whose frame header announces more, before it allocates the frame,
    /// so this is the first line of the decoder's limits.
    public func setMaxMessageSize(_ bytes: Int64) throws(ZMQError) {
        try setOption(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", bytes)
    }

    /// The largest frame a peer may send, in bytes.
    public func maxMessageSize() throws(ZMQError) -> Int64 {
        try int64Option(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE")
    }

    /// Sets the identity a ROUTER peer sees for this socket (`ZMQ_ROUTING_ID`).
    ///
    /// It takes 1 to 255 bytes (ZeroMQ reserves ids starting with a zero byte for the ones it
    /// makes up) and applies to connections made after the call.
    public func setRoutingID(_ bytes: [UInt8]) throws(ZMQError) {
        try setBytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", bytes)
    }

    /// The routing id set on this socket.
    public func routingID() throws(ZMQError) -> [UInt8] {
        try bytesOption(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", capacity: 256)
    }

    /// Makes a ROUTER fail sends to unknown or disconnected peers with `.hostUnreachable`, and
    /// sends to full peers with `.timeout`, instead of dropping them (`ZMQ_ROUTER_MANDATORY`).
    public func setRouterMandatory(_ enabled: Bool) throws(ZMQError) {
        try setOption(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", Int32(enabled ? 1 : 0))
    }

    /// Lets a new connection take over a routing id still held by an old one
    /// (`ZMQ_ROUTER_HANDOVER`), as a restarted client host must.
    public func setRouterHandover(_ enabled: Bool) throws(ZMQError) {
        try setOption(ZMQ_ROUTER_HANDOVER, "ZMQ_ROUTER_HANDOVER", Int32(enabled ? 1 : 0))
    }

    /// Queues messages only for completed connections (`ZMQ_IMMEDIATE`), so a DEALER whose
    /// coordinator is unreachable blocks or times out instead of piling messages up.
    public func setImmediate(_ enabled: Bool) throws(ZMQError) {
        try setOption(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", Int32(enabled ? 1 : 0))
    }

    /// Turns on ZMTP heartbeats, which detect a dead TCP peer that never closed its connection
    /// (`ZMQ_HEARTBEAT_IVL`, `ZMQ_HEARTBEAT_TIMEOUT`); 0 turns them off.
    public func setTransportHeartbeat(intervalMilliseconds: Int32, timeoutMilliseconds: Int32)
        throws(ZMQError)
    {
        try setOption(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL", intervalMilliseconds)
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT", timeoutMilliseconds)
    }

    /// The endpoint of the last `bind` or `connect`, with the port a `*` was given
    /// (`ZMQ_LAST_ENDPOINT`), such as `tcp://127.0.0.1:45873`.
    public func lastEndpoint() throws(ZMQError) -> String {
        var bytes = try bytesOption(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT", capacity: 1024)
        // ZeroMQ counts the terminating zero in the length it returns.
        while bytes.last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the frame received last has more frames after it (`ZMQ_RCVMORE`).
    public func hasMoreFrames() throws(ZMQError) -> Bool {
        try int32Option(ZMQ_RCVMORE, "ZMQ_RCVMORE") != 0
    }

    // MARK: Raw access

    func setOption<Value: FixedWidthInteger>(_ option: Int32, _ name: String, _ value: Value)
        throws(ZMQError)
    {
        let handle = try openHandle("zmq_setsockopt(\(name))")
        var copy = value
        let size = MemoryLayout<Value>.size
        try retryingInterrupts("zmq_setsockopt(\(name))") {
            zmq_setsockopt(handle, option, &copy, size)
        }
    }

    func setBytesOption(_ option: Int32, _ name: String, _ bytes: [UInt8]) throws(ZMQError) {
        let handle = try openHandle("zmq_setsockopt(\(name))")
        try retryingInterrupts("zmq_setsockopt(\(name))") {
            bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }

    func int32Option(_ option: Int32, _ name: String) throws(ZMQError) -> Int32 {
        try numericOption(option, name, as: Int32.self)
    }

    private func int64Option(_ option: Int32, _ name: String) throws(ZMQError) -> Int64 {
        try numericOption(option, name, as: Int64.self)
    }

    private func numericOption<Value: FixedWidthInteger>(
        _ option: Int32, _ name: String, as type: Value.Type
    ) throws(ZMQError) -> Value {
        let handle = try openHandle("zmq_getsockopt(\(name))")
        var value: Value = 0
        var size = MemoryLayout<Value>.size
        try retryingInterrupts("zmq_getsockopt(\(name))") {
            zmq_getsockopt(handle, option, &value, &size)
        }
        return value
    }

    private func bytesOption(_ option: Int32, _ name: String, capacity: Int) throws(ZMQError)
        -> [UInt8]
    {
        let handle = try openHandle("zmq_getsockopt(\(name))")
        var bytes = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        try retryingInterrupts("zmq_getsockopt(\(name))") {
            bytes.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        }
        return Array(bytes.prefix(size))
    }
}
