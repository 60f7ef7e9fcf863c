import COrchardZMQ

/// One received frame, kept in ZeroMQ's own buffer (a `zmq_msg_t`) until the last reference goes.
///
/// This is the zero-copy receive path: reading a frame through `withUnsafeBytes`, or decoding a
/// tensor from it, touches ZeroMQ's buffer directly. The bytes never change after receipt and
/// `zmq_msg_close` may run on any thread, so a frame can be handed to another thread.
public final class ZMQFrame: @unchecked Sendable {
    /// The message, on the heap so that its address stays fixed while ZeroMQ refers to it.
    let message: UnsafeMutablePointer<zmq_msg_t>

    /// Takes ownership of an initialised message that holds a received frame.
    init(taking message: UnsafeMutablePointer<zmq_msg_t>) {
        self.message = message
    }

    /// The number of bytes.
    public var count: Int { zmq_msg_size(message) }

    /// Calls `body` with the bytes, which are valid only during the call.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R)
        throws(E) -> R
    {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(message), count: count))
    }

    /// The bytes, copied into an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// A property of the connection the frame came through (`zmq_msg_gets`), such as `User-Id`,
    /// which a ZAP handler set; `nil` when the connection has none.
    public func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(message, name) else { return nil }
        return String(cString: value)
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }
}

/// A received multipart message: its frames in order, each in ZeroMQ's buffer.
///
/// On a ROUTER socket the first frame is the sender's routing id, which ZeroMQ adds; on a DEALER
/// the frames are exactly what the peer sent.
public struct ZMQMessage: Sendable {
    /// The frames that were kept, in order.
    public let frames: [ZMQFrame]
    /// Frames beyond the receiver's frame limit, read and dropped without being kept.
    public let discardedFrameCount: Int
    /// The bytes of all frames, the discarded ones included.
    public let totalByteCount: Int

    /// The number of frames the peer sent.
    public var frameCount: Int { frames.count + discardedFrameCount }

    /// The frames as byte views, for `MessageCodec`.
    public var frameBytes: [FrameBytes] { frames.map(FrameBytes.init) }

    /// The frames' bytes, copied into arrays.
    public var byteArrays: [[UInt8]] { frames.map(\.bytes) }

    /// The `User-Id` a ZAP handler gave the sender's connection (the host id bound to its CURVE key),
    /// read from the first frame the peer sent; `nil` without one.
    public var userID: String? { frames.dropFirst().first?.property("User-Id") ?? frames.first?.property("User-Id") }

    /// Whether a ROUTER's message came under the routing id its `User-Id` names, as the ZAP handler
    /// arranges for every CURVE peer; a message with no `User-Id` fails.
    var isRoutedUnderItsUserID: Bool {
        guard let routingID = frames.first?.bytes, let userID else { return false }
        return Array(userID.utf8) == routingID
    }

    /// Splits off the routing id that a ROUTER socket puts first.
    ///
    /// Returns `nil` for an empty message. The remaining frames keep their discarded count, so a
    /// message cut at the frame limit still reads as too long to the codec.
    public func splittingRoutingID() -> (routingID: [UInt8], rest: ZMQMessage)? {
        guard let first = frames.first else { return nil }
        let rest = ZMQMessage(
            frames: Array(frames.dropFirst()), discardedFrameCount: discardedFrameCount,
            totalByteCount: totalByteCount - first.count)
        return (first.bytes, rest)
    }
}
