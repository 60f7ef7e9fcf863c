import Foundation
import Logging
import OrchardFederation
import OrchardNN
import OrchardTensor
import OrchardWire
import Synchronization

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
    private var hello: Message?
    /// Drawn once per process, so the coordinator tells this host's reconnections from a second
    /// process started under the same id; it decides nothing about the run's results.
    private let instance = UInt64.random(in: 1...UInt64.max)
    /// The task running on its own thread, and those waiting for it, in the order they came.
    private var running: TaskThread?
    private var queued: [(Message, TaskAssignment)] = []
    private var heartbeatInterval: Duration = .seconds(1)
    private var heartbeatSequence: UInt64 = 0
    private var lastSent = ContinuousClock.now
    private var lastHello = ContinuousClock.now

    /// Creates a host for `clients` (their data) with `profiles` (their capabilities, sent in hello).
    public init(settings: Settings, clients: [LocalClient], profiles: [ClientProfile], method: any ClientMethod) throws
    {
        var settings = settings
        settings.logger[metadataKey: "host"] = "\(settings.hostID)"
        self.settings = settings
        var byID: [Int: LocalClient] = [:]
        for client in clients {
            guard byID.updateValue(client, forKey: client.id) == nil else {
                throw RuntimeError("host \(settings.hostID): client \(client.id) is given twice")
            }
        }
        self.clients = byID
        self.profiles = profiles
        self.method = method
        codec = MessageCodec(limits: settings.wire.limits)
        context = try ZMQContext()
    }

    /// Serves tasks until the coordinator says shut down; throws when it stays silent too long.
    ///
    /// Tasks run one at a time on a thread of their own, in the order they came, while this loop
    /// keeps reading the socket and sends a heartbeat every interval: a host busy training is
    /// still heard, and the coordinator presumes lost only a host that is dead or frozen.
    public func run() throws {
        try connect()
        // The last message from the coordinator, and the last (re)connection: silence past the
        // limit since both reconnects; silence past `giveUpAfter` since the last message ends the host.
        var lastHeard = ContinuousClock.now
        var lastAttempt = ContinuousClock.now
        // Until the coordinator first answers, say on stderr where this host is waiting for it.
        var waiting = WaitNotice(settings)
        while true {
            guard let socket else { return }
            try finishTask()
            try sendHeartbeatIfDue()
            var poller = ZMQPoller()
            _ = poller.register(socket)
            // A running task is looked at often, so that its result leaves soon after it is ready.
            let wait: Duration = running == nil ? .milliseconds(500) : .milliseconds(5)
            if try poller.poll(timeout: wait).first?.contains(.readable) == true {
                lastHeard = .now
                waiting.answered()
                if try handle(try socket.receiveMessage()) == .stop { return }
                continue
            }
            let now = ContinuousClock.now
            if StopSignal.isRequested { return }
            if let parent = settings.parentProcess, getppid() != parent { return }  // orphaned: the run is gone
            if now - lastHeard > settings.giveUpAfter { throw waiting.givingUp(silence: now - lastHeard) }
            waiting.remind(at: now)
            if now - max(lastHeard, lastAttempt) > settings.silenceLimit {
                // Lazy pirate: a fresh socket and a fresh hello, in case the coordinator restarted.
                settings.logger.notice("no word from \(settings.endpoint) for \(now - lastHeard); reconnecting")
                try connect()
                lastAttempt = now
            }
        }
    }

    private enum Next { case proceed, stop }

    /// Sends the result of the running task once it is ready, and starts the next queued task.
    private func finishTask() throws {
        if let task = running {
            guard let result = task.result else { return }
            running = nil
            try socket?.send(try codec.encode(result), to: nil)
            lastSent = .now
        }
        guard !queued.isEmpty else { return }
        let (message, assignment) = queued.removeFirst()
        let task = TaskThread { [self] in answer(message, assignment) }
        running = task
        task.start()
    }

    /// Sends a heartbeat when the host has sent nothing for an interval.
    private func sendHeartbeatIfDue() throws {
        guard ContinuousClock.now - lastSent >= heartbeatInterval else { return }
        heartbeatSequence += 1
        let beat = Message(body: .heartbeat(Heartbeat(hostID: settings.hostID, sequence: heartbeatSequence)))
        try socket?.send(try codec.encode(beat), to: nil)
        lastSent = .now
    }

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
        hello = Message(
            body: .hello(
                Hello(
                    hostID: settings.hostID, clients: capabilities, softwareVersion: OrchardVersion.current,
                    instance: instance))
        )
        try sayHello()
    }

    private func sayHello() throws {
        guard let hello else { return }
        try socket?.send(try codec.encode(hello), to: nil)
        lastHello = .now
        lastSent = .now
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
            queued.append((message, assignment))
            try finishTask()
        case .shutdown:
            return .stop
        case .welcome(let welcome):
            // Three missed heartbeats mean the coordinator is gone (or restarted without us).
            let interval = Duration.milliseconds(Int64(max(welcome.heartbeatIntervalMilliseconds, 100)))
            heartbeatInterval = interval
            settings.silenceLimit = max(interval * 3, .seconds(5))
        case .heartbeat:
            break
        case .error(let report) where report.code == .hostIDInUse:
            throw RuntimeError("host \(settings.hostID): the coordinator refused this host: \(report.message)")
        case .error(let report) where report.code == .unknownHost:
            // The coordinator presumed this host lost (it was frozen, or the network was): say
            // hello again, at most once a second.
            if ContinuousClock.now - lastHello > .seconds(1) { try sayHello() }
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
                try TaskMessages.task(message, assignment: assignment, tensors: tensors), on: client)
            result.metrics["wall_seconds"] = (ContinuousClock.now - started).inSeconds
            return try TaskMessages.message(result, taskID: assignment.taskID, runID: message.runID)
        } catch {
            settings.logger.debug("task \(assignment.taskID) of client \(clientID) failed: \(error)")
            // Says so in a figure, so that the coordinator sends the positions instead.
            let metrics = error is MissingMaskError ? [MissingMaskError.metric: 1.0] : [:]
            return TaskMessages.failure(
                client: clientID, round: message.round, reason: "\(error)", metrics: metrics,
                taskID: assignment.taskID, runID: message.runID)
        }
    }
}

/// A task's work on a thread of its own; its result is picked up by the host's loop.
///
/// Unchecked: the work touches the host's method, clients and mask cache, which the loop leaves
/// alone while a task runs (it only queues new tasks), and the result crosses under a lock.
final class TaskThread: @unchecked Sendable {
    private let work: () -> Message
    private let done = Mutex<Message?>(nil)

    init(_ work: @escaping () -> Message) { self.work = work }

    func start() {
        let thread = Thread { [self] in
            let message = work()
            done.withLock { $0 = message }
        }
        // Training allocates deep stacks in debug builds; the default 512 KiB of a secondary thread is not enough.
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// The result, once the work is done.
    var result: Message? { done.withLock { $0 } }
}
