import COrchardZMQ

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The ZeroMQ socket patterns Orchard uses.
public enum ZMQSocketKind: Sendable, CaseIterable {
    /// Routes by peer identity; the coordinator's socket.
    case router
    /// Load-balances outgoing, fair-queues incoming, adds no framing; a client host's socket.
    case dealer
    /// Exactly one peer in each direction.
    case pair
    /// Sends to pullers in turn.
    case push
    /// Receives from pushers.
    case pull

    /// The `ZMQ_*` constant.
    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .pair: ZMQ_PAIR
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        }
    }
}

/// A ZeroMQ socket.
///
/// A socket belongs to one thread at a time, as in libzmq, so the class is not `Sendable`: it can
/// be handed to another thread or task but not shared. It holds its `context` strongly, so the
/// context is terminated only after the socket is closed.
///
/// A new socket's linger period is zero: closing it drops unsent messages at once instead of
/// blocking `zmq_ctx_term`. The protocol does not rely on delivery at close (a client host that
/// misses a shutdown finds out from the missing heartbeats), so nothing is lost that matters.
/// Set a bounded linger with `setLinger(milliseconds:)` when a last message must get out.
public final class ZMQSocket {
    /// The context the socket was made in, kept alive by the socket.
    public let context: ZMQContext
    /// The socket's pattern.
    public let kind: ZMQSocketKind
    /// The `void *` handle from `zmq_socket`, or `nil` once closed.
    private var handle: UnsafeMutableRawPointer?
    /// The ZAP handler of a CURVE server socket, which admits its peers; stopped when it closes.
    public internal(set) var zapHandler: ZAPHandler?

    /// Creates a socket in `context`, with a linger period of zero.
    public init(context: ZMQContext, kind: ZMQSocketKind) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, kind.rawValue) else {
            throw ZMQError.last("zmq_socket(\(kind))")
        }
        self.context = context
        self.kind = kind
        self.handle = handle
        try setLinger(milliseconds: 0)
    }

    deinit { close() }

    /// Whether `close()` has been called.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket; closing twice does nothing.
    ///
    /// Later calls on the socket fail with `ENOTSOCK`.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
        // After the socket, so that no peer ever connects while the handler is gone.
        zapHandler?.stop()
    }

    /// The handle of the open socket, or `ENOTSOCK` if it was closed.
    func openHandle(_ operation: @autoclosure () -> String) throws(ZMQError)
        -> UnsafeMutableRawPointer
    {
        guard let handle else { throw ZMQError.failed(code: ENOTSOCK, operation: operation()) }
        return handle
    }

    /// Accepts connections at `endpoint`, such as `tcp://127.0.0.1:*` or `inproc://coordinator`.
    ///
    /// A `*` port asks the system for a free port; `lastEndpoint` tells which one it gave.
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_bind(\(endpoint))")
        try retryingInterrupts("zmq_bind(\(endpoint))") { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint`; ZeroMQ reconnects in the background whenever the link drops.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_connect(\(endpoint))")
        try retryingInterrupts("zmq_connect(\(endpoint))") { zmq_connect(handle, endpoint) }
    }

    /// Stops accepting connections at an endpoint given to `bind`.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_unbind(\(endpoint))")
        try retryingInterrupts("zmq_unbind(\(endpoint))") { zmq_unbind(handle, endpoint) }
    }

    /// Drops the connection to an endpoint given to `connect`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_disconnect(\(endpoint))")
        try retryingInterrupts("zmq_disconnect(\(endpoint))") { zmq_disconnect(handle, endpoint) }
    }
}

@available(*, unavailable, message: "a ZeroMQ socket must be used by one thread at a time")
extension ZMQSocket: Sendable {}
