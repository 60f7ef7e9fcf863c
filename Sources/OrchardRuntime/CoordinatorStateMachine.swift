import Logging
import OrchardFederation
import OrchardStore
import OrchardWire

/// A peer of the coordinator's ROUTER socket, known by its routing id.
typealias PeerID = [UInt8]

/// The coordinator's decisions as a value: its hosts, the round's tasks, liveness and validation.
///
/// It holds no socket and reads no clock. The ZeroMQ loop (`Coordinator`) feeds it events with
/// the time they happened and carries out the actions it returns, so that every rule (who may
/// say hello, which result answers which task, when a host is lost, what is rejected and how the
/// sender hears of it) is decided here and tested event by event.
struct CoordinatorStateMachine {
    /// The run's rules.
    struct Configuration {
        var runID: UInt64
        var topologyName: String
        var seed: UInt64
        /// How often each side sends a heartbeat.
        var heartbeatInterval: Duration
        /// Intervals of silence after which a host is presumed lost.
        var liveness: Int = 3
        /// How long a host may take for one task; its queued tasks get one such span each.
        var taskTimeout: Duration
        /// The most hosts registered at once.
        var maxHosts: Int
        /// Every client of the run, with its training samples.
        var shardSizes: ShardSizes
        /// The ids of every client, as sorted ranges.
        var clients: [ClosedRange<Int>]
        /// The largest magnitude a value of a result may have.
        var maxMagnitude: Float = 1e6
        /// How often each peer's rejected messages are summarised in one log line.
        var summaryInterval: Duration = .seconds(10)

        /// How long a host may stay silent before it is lost.
        var silenceLimit: Duration { heartbeatInterval * liveness }
    }

    /// Something that happened, with the time it happened.
    enum Event {
        /// A message arrived and decoded.
        case message(DecodedMessage, from: PeerID)
        /// A message arrived that does not decode.
        case undecodable(WireError, bytes: Int, from: PeerID)
        /// Time passed; deadlines and liveness are due for a look.
        case tick
    }

    /// What the loop must do.
    enum Action: Equatable {
        /// Send a message that is not a task.
        case send(Message, to: PeerID)
        /// Send the pending task again, to this host (its first copy was lost, or its host was).
        case resend(taskID: UInt64, to: PeerID)
        /// The host's table of masks is unknown: it restarted or was lost.
        case forgetMasks(of: PeerID)
        /// A line for the run's log, at a level: `warning` for what a peer did wrong or a host
        /// lost, `notice` for the periodic summaries of rejected messages.
        case log(Logger.Level, String)
    }

    /// A registered client host.
    struct Host {
        var id: String
        var clients: ClientRanges
        var lastHeard: ContinuousClock.Instant
        var softwareVersion: String
        /// The number its process drew at start (0: not stated).
        var instance: UInt64 = 0
        /// The count of hellos the machine had registered when this host's latest came: among the
        /// hosts of a client, the one that said hello first gets a task when their loads are equal.
        var hello = 0
        /// Whether its last task timed out: it gets no work until it says hello again.
        var silent = false
    }

    /// A task sent in the current round and not answered yet.
    struct PendingTask {
        var task: ClientTask
        var contract: ResultContract
        var host: PeerID
        /// When the coordinator stops waiting for it.
        var deadline: ContinuousClock.Instant
        /// Whether the last copy sent referred to a mask the host was thought to hold.
        var refersToMasks = false
        /// The hosts whose results for it were rejected.
        var rejectedBy: Set<PeerID> = []
    }

    /// How a sampled client's task of the round ended.
    enum Arrival {
        /// A result that passed validation (ok, refused or failed).
        case result(ClientResult, WireSize)
        /// A result that failed validation.
        case rejected(Rejection, WireSize)
        /// No result: the task could not be sent, or its host was lost.
        case dropped(reason: String)
        /// No result before the task's deadline.
        case timeout(reason: String)
    }

    let configuration: Configuration
    var hosts: [PeerID: Host] = [:]
    /// Registered hosts in the order they first said hello, so every walk over them is deterministic.
    var hostOrder: [PeerID] = []
    /// The hellos registered so far.
    var hellos = 0
    var pending: [UInt64: PendingTask] = [:]
    var arrivals: [Int: Arrival] = [:]
    var nextTaskID: UInt64 = 1
    var ledger: PeerLedger
    var hostEvents: [HostEventRecord] = []
    var lastHeartbeat: ContinuousClock.Instant
    var heartbeatSequence: UInt64 = 0

    init(configuration: Configuration, now: ContinuousClock.Instant) {
        self.configuration = configuration
        ledger = PeerLedger(summaryInterval: configuration.summaryInterval)
        lastHeartbeat = now
    }

    /// Handles one event and says what to do.
    mutating func handle(_ event: Event, now: ContinuousClock.Instant) -> [Action] {
        switch event {
        case .message(let decoded, let peer):
            return receive(decoded, from: peer, now: now)
        case .undecodable(let error, _, let peer):
            if hosts[peer] != nil { hosts[peer]?.lastHeard = now }
            return reject(peer, code: error.code, message: error.description, now: now, answer: error.reply())
        case .tick:
            return tick(now: now)
        }
    }

    mutating func receive(_ decoded: DecodedMessage, from peer: PeerID, now: ContinuousClock.Instant)
        -> [Action]
    {
        let message = decoded.message
        if case .hello(let hello) = message.body { return register(hello, from: peer, now: now) }
        guard hosts[peer] != nil else {
            return reject(
                peer, code: .unknownHost, message: "\(message.kind) message from a peer that has not said hello",
                now: now, kind: message.kind)
        }
        hosts[peer]?.lastHeard = now
        switch message.body {
        case .result(let body):
            return accept(decoded, body: body, from: peer, now: now)
        case .error(let report):
            ledger.note(peer, code: "reported_\(Self.name(of: report.code))", example: report.message, now: now)
            return ledger.firstLine(peer, now: now).map { [.log(.warning, $0)] } ?? []
        case .heartbeat:
            return []
        case .hello, .welcome, .task, .shutdown:
            return reject(
                peer, code: .unexpectedMessage, message: "a host may not send \(message.kind) messages", now: now,
                kind: message.kind)
        }
    }

    /// Counts a rejected message of `peer` and answers it (unless the peer was answered too
    /// often in this interval), logging the first of each interval.
    mutating func reject(
        _ peer: PeerID, code: ErrorCode, message: String, now: ContinuousClock.Instant, kind: MessageKind? = nil,
        answer: Message? = nil
    ) -> [Action] {
        ledger.note(peer, code: Self.name(of: code), example: message, now: now)
        var actions: [Action] = ledger.firstLine(peer, now: now).map { [.log(.warning, $0)] } ?? []
        if ledger.mayAnswer(peer) {
            let report = ErrorReport(code: code, message: message, offendingKind: kind?.rawValue ?? 0)
            actions.append(
                .send(answer ?? Message(runID: configuration.runID, body: .error(report)), to: peer))
        }
        return actions
    }

    /// Liveness, deadlines, heartbeats and log summaries.
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        for peer in hostOrder {
            guard let host = hosts[peer], now - host.lastHeard > configuration.silenceLimit else { continue }
            let reason =
                "silent for \(Self.seconds(now - host.lastHeard)) (\(configuration.liveness) heartbeats of "
                + "\(Self.seconds(configuration.heartbeatInterval)))"
            actions += lose(peer, reason: reason, now: now)
        }
        expireTasks(now: now)
        if now - lastHeartbeat >= configuration.heartbeatInterval {
            lastHeartbeat = now
            heartbeatSequence += 1
            let beat = Message(
                runID: configuration.runID,
                body: .heartbeat(Heartbeat(hostID: "coordinator", sequence: heartbeatSequence)))
            actions += hostOrder.map { .send(beat, to: $0) }
        }
        actions += ledger.summaries(now: now).map { .log(.notice, $0) }
        return actions
    }

    /// When the next tick is due at the latest: a heartbeat, a deadline or a host's silence limit.
    func nextWake(after now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var wake = lastHeartbeat + configuration.heartbeatInterval
        for task in pending.values { wake = min(wake, task.deadline) }
        for host in hosts.values { wake = min(wake, host.lastHeard + configuration.silenceLimit) }
        return max(wake, now)
    }

    /// Takes the host events recorded since the last call.
    mutating func takeHostEvents() -> [HostEventRecord] {
        defer { hostEvents.removeAll() }
        return hostEvents
    }

    mutating func recordHostEvent(_ event: HostEventRecord) { hostEvents.append(event) }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.inSeconds
        return value < 10 ? "\((value * 10).rounded() / 10) s" : "\(Int(value.rounded())) s"
    }

    /// The snake-case name of an error code, as the run file stores it.
    static func name(of code: ErrorCode) -> String {
        code.description.replacingOccurrences(of: " ", with: "_")
    }
}
