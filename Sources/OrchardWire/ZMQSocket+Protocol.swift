#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// How the protocol's sockets are set up; `docs/protocol.md` explains each figure.
public struct WireSocketSettings: Sendable, Equatable {
    /// The decoder's limits; the largest frame they allow becomes `ZMQ_MAXMSGSIZE`.
    public var limits: DecodingLimits
    /// Whole messages queued per peer and direction (`ZMQ_SNDHWM`, `ZMQ_RCVHWM`).
    ///
    /// A round queues at most one task per logical client of a host, and hosts serve up to about
    /// a thousand clients. Tasks that share one encoded model share its buffer, so a full queue
    /// costs envelopes, not models.
    public var highWaterMark: Int32
    /// The interval of ZeroMQ's own (ZMTP) pings, in milliseconds; 0 turns them off.
    ///
    /// They detect a TCP connection whose peer vanished without closing it (a pulled cable, a
    /// killed VM), so that ZeroMQ drops it and a DEALER reconnects. The protocol's heartbeats
    /// decide whether a peer is lost; these only keep the transport honest.
    public var transportHeartbeatMilliseconds: Int32
    /// How long a ZMTP ping may go unanswered before ZeroMQ drops the connection, in milliseconds.
    public var transportTimeoutMilliseconds: Int32
    /// NULL or CurveZMQ; a coordinator's setting and a host's must agree (`docs/protocol.md`, Security).
    public var security: WireSecurity

    /// Creates settings; the defaults are the protocol's.
    public init(
        limits: DecodingLimits = .standard, highWaterMark: Int32 = 1000,
        transportHeartbeatMilliseconds: Int32 = 1000, transportTimeoutMilliseconds: Int32 = 10_000,
        security: WireSecurity = .insecure
    ) {
        self.security = security
        self.limits = limits
        self.highWaterMark = highWaterMark
        self.transportHeartbeatMilliseconds = transportHeartbeatMilliseconds
        self.transportTimeoutMilliseconds = transportTimeoutMilliseconds
    }
}

extension ZMQSocket {
    /// Creates the coordinator's ROUTER socket, set up as the protocol expects; bind it next.
    ///
    /// - Sends to a host that is not connected fail with `.hostUnreachable` (`ZMQ_ROUTER_MANDATORY`)
    ///   instead of vanishing, so the coordinator learns at once that a task did not leave.
    /// - A send never blocks the coordinator's single thread: the send timeout is 0, so a host
    ///   whose queue is full gives `.timeout`, and the round loop moves on.
    /// - A host that reconnects under its old routing id takes it over (`ZMQ_ROUTER_HANDOVER`);
    ///   without it a restarted host would be refused until the dead connection timed out.
    /// - Linger 0: closing drops what is still queued, since the run is over by then.
    /// - With `.curveServer` security, the socket is a CURVE server and a `ZAPHandler` in `context`
    ///   (`zapHandler`) admits only the allow-list's keys, each routed under its host id. One such
    ///   socket per context: the handler's endpoint is the context's.
    public static func coordinatorRouter(context: ZMQContext, settings: WireSocketSettings = .init())
        throws(ZMQError) -> ZMQSocket
    {
        let socket = try ZMQSocket(context: context, kind: .router)
        try socket.setRouterMandatory(true)
        try socket.setRouterHandover(true)
        try socket.setSendTimeout(milliseconds: 0)
        try socket.applyCommon(settings)
        switch settings.security {
        case .insecure:
            break
        case .curveServer(let secretKey, let allowList):
            try socket.setZAPDomain(zapDomain)
            // Fail closed: without it, libzmq admits any CURVE client while no handler is bound.
            socket.enforceZAPDomain()
            try socket.setCurveServer(secretKey: secretKey)
            socket.zapHandler = try ZAPHandler.start(for: socket, allowList: allowList)
        case .curveClient:
            throw ZMQError.failed(code: EINVAL, operation: "coordinatorRouter with a client's curve setting")
        }
        return socket
    }

    /// The ZAP domain of the coordinator's socket.
    public static let zapDomain = "orchard"

    /// Creates a client host's DEALER socket, with the host id as its routing id; connect it next.
    ///
    /// The routing id is what the coordinator's ROUTER sees as the host's address, so a host that
    /// reconnects (a new socket, as the lazy-pirate pattern does) keeps its address. With
    /// `.curveClient` security the socket speaks CURVE with the host's key pair and trusts only
    /// the coordinator's public key.
    ///
    /// - Throws: `ZMQError` with `EINVAL` when the host id is empty or longer than 255 bytes,
    ///   which ZeroMQ refuses as a routing id, or starts with a zero byte, which ZeroMQ reserves
    ///   for the ids it makes up itself.
    public static func clientDealer(
        context: ZMQContext, hostID: String, settings: WireSocketSettings = .init()
    ) throws(ZMQError) -> ZMQSocket {
        guard hostID.utf8.first != 0 else {
            throw ZMQError.failed(code: EINVAL, operation: "clientDealer(hostID:) with a leading zero byte")
        }
        let socket = try ZMQSocket(context: context, kind: .dealer)
        try socket.setRoutingID(Array(hostID.utf8))
        try socket.applyCommon(settings)
        switch settings.security {
        case .insecure:
            break
        case .curveClient(let keyPair, let serverKey):
            try socket.setCurveClient(keyPair: keyPair, serverKey: serverKey)
        case .curveServer:
            throw ZMQError.failed(code: EINVAL, operation: "clientDealer with the coordinator's curve setting")
        }
        return socket
    }

    private func applyCommon(_ settings: WireSocketSettings) throws(ZMQError) {
        try setLinger(milliseconds: 0)
        try setSendHighWaterMark(settings.highWaterMark)
        try setReceiveHighWaterMark(settings.highWaterMark)
        try setMaxMessageSize(Int64(settings.limits.maxFrameBytes))
        try setTransportHeartbeat(
            intervalMilliseconds: settings.transportHeartbeatMilliseconds,
            timeoutMilliseconds: settings.transportTimeoutMilliseconds)
    }
}
