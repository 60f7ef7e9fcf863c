import COrchardZMQ

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// CurveZMQ options, the ZAP domain and the handshake monitor.
extension ZMQSocket {
    /// Makes the socket a CURVE server with `secretKey` (`ZMQ_CURVE_SERVER`, `ZMQ_CURVE_SECRETKEY`).
    ///
    /// Every peer must then speak CURVE and pass the context's ZAP handler, if one is bound.
    public func setCurveServer(secretKey: CurveKey) throws(ZMQError) {
        try CurveSupport.checkForSocket()
        try setOption(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", Int32(1))
        try setBytesOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", Array(secretKey.text.utf8))
    }

    /// Makes the socket a CURVE client that trusts only `serverKey` (`ZMQ_CURVE_SERVERKEY`,
    /// `ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`); applies to connections made after the call.
    public func setCurveClient(keyPair: CurveKeyPair, serverKey: CurveKey) throws(ZMQError) {
        try CurveSupport.checkForSocket()
        try setBytesOption(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", Array(serverKey.text.utf8))
        try setBytesOption(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", Array(keyPair.publicKey.text.utf8))
        try setBytesOption(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", Array(keyPair.secretKey.text.utf8))
    }

    /// Names the ZAP domain the socket's handshakes are authenticated in (`ZMQ_ZAP_DOMAIN`).
    public func setZAPDomain(_ domain: String) throws(ZMQError) {
        try setBytesOption(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", Array(domain.utf8))
    }

    /// Makes handshakes fail when no ZAP handler answers, instead of admitting every CURVE client
    /// (`ZMQ_ZAP_ENFORCE_DOMAIN`, option 93, a draft option of libzmq 4.3 that not every build has).
    ///
    /// - Returns: whether this libzmq took the option.
    @discardableResult
    public func enforceZAPDomain() -> Bool {
        (try? setOption(Self.zapEnforceDomainOption, "ZMQ_ZAP_ENFORCE_DOMAIN", Int32(1))) != nil
    }

    /// `ZMQ_ZAP_ENFORCE_DOMAIN`, which zmq.h defines only for draft builds.
    static let zapEnforceDomainOption: Int32 = 93

    /// The security mechanism in use: `ZMQ_NULL`, `ZMQ_PLAIN` or `ZMQ_CURVE` (`ZMQ_MECHANISM`).
    public func mechanism() throws(ZMQError) -> Int32 {
        try int32Option(ZMQ_MECHANISM, "ZMQ_MECHANISM")
    }

    /// Publishes the socket's failed handshakes on a PAIR endpoint (`zmq_socket_monitor`).
    func monitorHandshakeFailures(at endpoint: String) throws(ZMQError) {
        let handle = try openHandle("zmq_socket_monitor(\(endpoint))")
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        try retryingInterrupts("zmq_socket_monitor(\(endpoint))") { zmq_socket_monitor(handle, endpoint, events) }
    }
}

extension CurveSupport {
    /// `check()` as the socket calls throw it: `EOPNOTSUPP`, whose text says what is missing.
    static func checkForSocket() throws(ZMQError) {
        guard isAvailable else {
            throw ZMQError.failed(code: EOPNOTSUPP, operation: "CurveZMQ (libzmq built without CURVE)")
        }
    }
}
