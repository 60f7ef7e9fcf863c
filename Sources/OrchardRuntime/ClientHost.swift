import Foundation
import Logging
import OrchardFederation
import OrchardNN
import OrchardTensor
import OrchardWire

#if canImport(Glibc)
    import Glibc
#endif

/// A client host: one process serving several logical clients over one DEALER socket.
///
/// It says hello with the clients it serves, then runs each task it receives, one at a time, and
/// answers with the result. Following the lazy-pirate pattern, a host that hears nothing from the
/// coordinator (tasks or heartbeats) for `silenceLimit` closes its socket, connects anew and says
/// hello again; it gives up after `giveUpAfter` of silence. A shutdown message ends it.
public final class ClientHost {
    public struct Settings: Sendable {
        public var endpoint: String
        public var hostID: String
        public var silenceLimit: Duration = .seconds(15)
        public var giveUpAfter: Duration = .seconds(120)
        /// The process that started this host, if it should end with it (hosts of `orchard run`).
        public var parentProcess: Int32?
        public var wire = WireSocketSettings()
        /// Where the host says what it does: reconnections (`notice`), errors the coordinator
        /// reports and messages it cannot read (`warning`), connections and tasks (`debug`).
        public var logger = Logger(label: "orchard.host")

        public init(endpoint: String, hostID: String) {
            self.endpoint = endpoint
            self.hostID = hostID
        }
    }

    var settings: Settings
    let clients: [Int: LocalClient]
    let profiles: [ClientProfile]
    let method: any ClientMethod
    let codec: MessageCodec
    /// The masks tasks brought, shared by every client served; kept across reconnections, since
    /// they stay true whatever the connection.
    private var masks = HostMaskCache()
    private let context: ZMQContext
    private var socket: ZMQSocket?

    /// Creates a host for `clients` (their data) with `profiles` (their capabilities, sent in hello).
    public init(settings: Settings, clients: [LocalClient], profiles: [ClientProfile], method: any ClientMethod) throws
    {
        var settings = settings
        settings.logger[metadataKey: "host"] = "\(settings.hostID)"
        self.settings = settings
        self.clients = Dictionary(uniqueKeysWithValues: clients.map { ($0.id, $0) })
        self.profiles = profiles
        self.method = method
        codec = MessageCodec(limits: settings.wire.limits)
        context = try ZMQContext()
    }

    /// Serves tasks until the coordinator says shut down; throws when it stays silent too long.
    public func run() throws {
        try connect()
        // The last message from the coordinator, and the last (re)connection: silence past the
        // limit since both reconnects; silence past `giveUpAfter` since the last message ends the host.
        var lastHeard = ContinuousClock.now
        var lastAttempt = ContinuousClock.now
        while true {
            guard let socket else { return }
            var poller = ZMQPoller()
            _ = poller.register(socket)
            let events = try poller.poll(timeout: .seconds(1))
            if events.first?.contains(.readable) == true {
                lastHeard = .now
                if try handle(try socket.receiveMessage()) == .stop { return }
                continue
            }
            let now = ContinuousClock.now
            if StopSignal.isRequested { return }
            if let parent = settings.parentProcess, getppid() != parent { return }  // orphaned: the run is gone
            if now - lastHeard > settings.giveUpAfter {
                throw RuntimeError(
                    "host \(settings.hostID): no word from \(settings.endpoint) for \(now - lastHeard); giving up")
            }
            if now - max(lastHeard, lastAttempt) > settings.silenceLimit {
                // Lazy pirate: a fresh socket and a fresh hello, in case the coordinator restarted.
                settings.logger.notice("no word from \(settings.endpoint) for \(now - lastHeard); reconnecting")
                try connect()
                lastAttempt = now
            }
        }
    }

    private enum Next { case proceed, stop }

    private func connect() throws {
        if let old = socket {
            // A result sent just before may still be in the old socket's queue (a large model takes
            // seconds to write while the coordinator is busy evaluating and saying nothing): let it
            // go out rather than drop it, which would leave its task waiting for the task timeout.
            try? old.setLinger(milliseconds: 10_000)
            old.close()
        }
        let fresh = try ZMQSocket.clientDealer(context: context, hostID: settings.hostID, settings: settings.wire)
        try fresh.connect(settings.endpoint)
        socket = fresh
        settings.logger.debug("connecting to \(settings.endpoint) for \(profiles.count) clients")
        // The protocol writes 0 for a figure the topology leaves unsimulated (an unlimited link or speed).
        func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
        let capabilities = profiles.map { profile in
            ClientCapabilities(
                clientID: UInt32(profile.id), memoryBudgetBytes: UInt64(profile.memoryBudget ?? 0),
                computeFLOPsPerSecond: finite(profile.flopsPerSecond),
                uplinkBitsPerSecond: finite(profile.uplinkBitsPerSecond),
                downlinkBitsPerSecond: finite(profile.downlinkBitsPerSecond), latencySeconds: profile.latencySeconds)
        }
        let hello = Message(
            body: .hello(Hello(hostID: settings.hostID, clients: capabilities, softwareVersion: OrchardVersion.current))
        )
        try fresh.send(try codec.encode(hello), to: nil)
    }

    private func handle(_ received: ZMQMessage) throws -> Next {
        let decoded: DecodedMessage
        do {
            decoded = try codec.decode(received)
        } catch {
            settings.logger.warning("cannot read a message from \(settings.endpoint): \(error)")
            try socket?.send(try codec.encode(error.reply(runID: 0, round: 0)), to: nil)
            return .proceed
        }
        let message = decoded.message
        switch message.body {
        case .task(let assignment):
            try socket?.send(try codec.encode(answer(message, assignment)), to: nil)
        case .shutdown:
            return .stop
        case .welcome(let welcome):
            // Three missed heartbeats mean the coordinator is gone (or restarted without us).
            let interval = Duration.milliseconds(Int64(welcome.heartbeatIntervalMilliseconds))
            settings.silenceLimit = max(interval * 3, .seconds(5))
        case .heartbeat:
            break
        case .error(let report):
            settings.logger.warning("coordinator reported \(report.code): \(report.message)")
        case .hello, .result:
            break
        }
        return .proceed
    }

    /// Runs a task and builds its result message; a failure becomes an error result, not a crash.
    private func answer(_ message: Message, _ assignment: TaskAssignment) -> Message {
        let clientID = Int(assignment.clientID)
        do {
            // Masks first, whatever happens next: the coordinator counts on this host holding
            // every mask each task brought, in the order the tasks came.
            let tensors = try masks.tensors(from: message.tensors, client: clientID, round: Int(message.round))
            guard let client = clients[clientID] else {
                throw RuntimeError("host \(settings.hostID) does not serve client \(clientID)")
            }
            let started = ContinuousClock.now
            // The task goes straight to the method, which owns its tensors and can free them once
            // loaded, so that they do not count in the task's measured memory.
            var result = try method.run(
                TaskMessages.task(message, assignment: assignment, tensors: tensors), on: client)
            result.metrics["wall_seconds"] = (ContinuousClock.now - started).inSeconds
            return try TaskMessages.message(result, taskID: assignment.taskID, runID: message.runID)
        } catch {
            settings.logger.debug("task \(assignment.taskID) of client \(clientID) failed: \(error)")
            var failed = ClientResult(
                client: clientID, round: Int(message.round), kind: assignment.kind.rawValue, outcome: .error,
                reason: "\(error)")
            // Says so in a figure, so that the coordinator sends the positions instead.
            if error is MissingMaskError { failed.metrics[MissingMaskError.metric] = 1 }
            // An error result has no tensors, so it always encodes.
            return try! TaskMessages.message(failed, taskID: assignment.taskID, runID: message.runID)
        }
    }
}
