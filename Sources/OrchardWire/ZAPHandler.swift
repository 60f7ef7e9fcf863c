import COrchardZMQ
import Foundation
import Synchronization

/// The ZeroMQ authentication handler (ZAP, RFC 27) of a CURVE coordinator.
///
/// It binds `inproc://zeromq.zap.01` in the coordinator's context and answers libzmq's requests on
/// its own thread, so the coordinator's loop never waits for it. A peer is admitted only with the
/// CURVE mechanism and a public key the allow-list holds; the reply then names the host id bound
/// to that key twice: as the user id (each message's `User-Id` property) and as the peer's
/// `Identity`, which libzmq makes the connection's routing id. So a peer is routed under its key's
/// host id whatever routing id it asked for, and a host can take over (`ZMQ_ROUTER_HANDOVER`) only
/// its own id, with its own key.
///
/// libzmq 4.3 puts the server's own routing id, not the peer's, in the request's identity frame,
/// so the handler cannot compare the two; it replaces the peer's id instead. libzmq applies the
/// peer's requested id right after it sends the request, and the reply's `Identity` when the reply
/// is read, except that it looks once for a reply before applying the requested id: a reply that
/// is already there then loses to the requested id (one impostor in five won that race in tests on
/// a loaded machine). Replies are therefore held back for `replyDelay`, and the router's
/// `receiveMessage` drops every message whose routing id differs from its `User-Id`, counted as
/// `idMismatch`, should a stalled I/O thread still lose the race.
///
/// A socket monitor on the router adds the handshakes ZAP never sees: another mechanism than
/// CURVE, and CURVE handshakes that fail (a client holding the wrong server key).
public final class ZAPHandler: Sendable {
    /// The hosts admitted.
    public let allowList: HostAllowList
    private let tally = Mutex(AuthenticationCounts())
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let startFailure = Mutex<ZMQError?>(nil)

    /// The well-known endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"
    /// How often the thread looks at the stop flag while no request comes.
    static let pollInterval = Duration.milliseconds(50)
    /// How long a reply is held back, so that libzmq has applied the peer's own routing id before
    /// the reply's `Identity` replaces it (see the type's discussion); a handshake takes this longer.
    static let replyDelay = Duration.milliseconds(20)

    /// The denials and admissions so far; safe to read from any thread.
    public var counts: AuthenticationCounts { tally.withLock { $0 } }

    private init(allowList: HostAllowList) {
        self.allowList = allowList
    }

    /// Starts a handler in `router`'s context and monitors `router`'s handshakes.
    ///
    /// Returns once the handler listens, so a handshake that follows is always asked about.
    /// - Throws: `ZMQError` when the endpoint is taken (one handler per context) or the monitor fails.
    static func start(for router: ZMQSocket, allowList: HostAllowList) throws(ZMQError) -> ZAPHandler {
        let monitorEndpoint = "inproc://orchard-handshakes-\(UUID().uuidString)"
        try router.monitorHandshakeFailures(at: monitorEndpoint)
        let handler = ZAPHandler(allowList: allowList)
        let started = DispatchSemaphore(value: 0)
        let context = router.context
        let thread = Thread {
            do throws(ZMQError) {
                let zap = try ZMQSocket(context: context, kind: .router)
                try zap.bind(endpoint)
                let monitor = try ZMQSocket(context: context, kind: .pair)
                try monitor.connect(monitorEndpoint)
                started.signal()
                handler.serve(zap: zap, monitor: monitor)
                // Closing frees the endpoint later, on libzmq's reaper thread; unbinding frees it now,
                // so that the context can take another handler at once.
                try? zap.unbind(endpoint)
            } catch {
                handler.startFailure.withLock { $0 = error }
                started.signal()
            }
            handler.finished.signal()
        }
        thread.name = "orchard-zap"
        thread.start()
        started.wait()
        if let error = handler.startFailure.withLock({ $0 }) {
            handler.finished.wait()
            throw error
        }
        return handler
    }

    /// Stops the thread and waits for it; the router must be closed first, or peers that connect
    /// in between would find no handler.
    func stop() {
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    /// Counts a message dropped because its routing id was not its key's host id.
    func recordIDMismatch() { tally.withLock { $0.idMismatch += 1 } }

    private func serve(zap: ZMQSocket, monitor: ZMQSocket) {
        var poller = ZMQPoller()
        poller.register(zap)
        poller.register(monitor)
        var held: [(due: ContinuousClock.Instant, reply: [[UInt8]])] = []
        while !stopRequested.load(ordering: .acquiring) {
            let wait = held.first.map { min($0.due - .now, Self.pollInterval) } ?? Self.pollInterval
            guard let ready = try? poller.poll(timeout: max(wait, .zero)) else { return }
            if ready[0].contains(.readable), let request = try? zap.receiveMessage(dontWait: true, frameLimit: 16) {
                if let reply = answer(request.byteArrays) { held.append((.now + Self.replyDelay, reply)) }
            }
            if ready[1].contains(.readable), let event = try? monitor.receiveMessage(dontWait: true, frameLimit: 4) {
                record(event.byteArrays)
            }
            while let first = held.first, first.due <= .now {
                try? zap.send(first.reply, dontWait: true)
                held.removeFirst()
            }
        }
    }

    /// The reply to one request: `[routing id, "", "1.0", request id, status, text, user id, metadata]`.
    ///
    /// The request is `[routing id, "", "1.0", request id, domain, address, identity, mechanism,
    /// credentials...]`; one libzmq does not make is left unanswered.
    func answer(_ frames: [[UInt8]]) -> [[UInt8]]? {
        guard frames.count >= 8, frames[1].isEmpty, frames[2] == Array("1.0".utf8) else { return nil }
        func reply(_ status: String, _ text: String, hostID: String = "") -> [[UInt8]] {
            let metadata = hostID.isEmpty ? [] : Self.metadata(name: "Identity", value: Array(hostID.utf8))
            return [
                frames[0], [], Array("1.0".utf8), frames[3], Array(status.utf8), Array(text.utf8),
                Array(hostID.utf8), metadata,
            ]
        }
        guard frames[7] == Array("CURVE".utf8) else {
            tally.withLock { $0.wrongMechanism += 1 }
            return reply("400", "CURVE required")
        }
        guard frames.count == 9, let key = CurveKey(bytes: frames[8]), let hostID = allowList.hostID(of: key) else {
            tally.withLock { $0.unknownKey += 1 }
            return reply("400", "unknown key")
        }
        tally.withLock { $0.admitted += 1 }
        return reply("200", "OK", hostID: hostID)
    }

    /// Counts a failed handshake from a monitor event: `[event (2 bytes) + value (4 bytes), endpoint]`.
    func record(_ frames: [[UInt8]]) {
        guard let first = frames.first, first.count == 6 else { return }
        // libzmq writes both in the host's byte order.
        let event = first.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        let value = first.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
        let failed = UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) | UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        guard event & failed != 0 else { return }
        if event == UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
            && value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        {
            tally.withLock { $0.wrongMechanism += 1 }
        } else {
            tally.withLock { $0.failedHandshake += 1 }
        }
    }

    /// One ZMTP metadata property: name length (1 byte), name, value length (4 bytes, big-endian), value.
    static func metadata(name: String, value: [UInt8]) -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: value.count)
        return [UInt8(truncatingIfNeeded: name.utf8.count)] + Array(name.utf8)
            + [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            + value
    }
}
