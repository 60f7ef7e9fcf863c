import Foundation
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardStore
import OrchardTensor
import OrchardWire

/// The coordinator: one thread, one ROUTER socket, the round loop of a run.
///
/// It registers the hosts that say hello, then for each round samples clients, has the method's
/// server half plan their tasks, sends them, waits for the results (or their wall-clock timeouts),
/// lets the method aggregate, evaluates the global model when due, advances the virtual clock and
/// hands the round to the recorder, which writes it in one transaction.
public final class Coordinator {
    public struct Settings: Sendable {
        public var runID: UInt64 = 1
        /// The topology's name, told to the hosts in the welcome.
        public var name = ""
        public var endpoint: String
        public var rounds: Int
        public var model: String
        /// Wall-clock seconds a task may take before its client counts as timed out; a host's queued
        /// tasks get one such span each, since a host runs its tasks one at a time.
        public var taskTimeout: Double = 120
        public var heartbeatInterval: Duration = .seconds(2)
        /// Simulated seconds after which a straggler is dropped from the round.
        public var deadline: Double?
        /// The fraction of sampled clients whose results a round needs for aggregation.
        public var quorum: Double = 0
        public var evaluateEvery = 1
        public var checkpointEvery = 1
        public var startupTimeout: Duration = .seconds(120)
        /// How many hosts to wait for before the first round, beyond covering every client.
        public var expectedHosts = 1
        public var wire = WireSocketSettings()

        public init(endpoint: String, rounds: Int, model: String) {
            self.endpoint = endpoint
            self.rounds = rounds
            self.model = model
        }
    }

    /// What the progress callback sees after each round.
    public struct Progress: Sendable {
        public var round: Int
        public var rounds: Int
        public var commit: RoundCommit
        public var simTime: Double
        public var bytesUpTotal: Int
        public var bytesDownTotal: Int
    }

    let settings: Settings
    let profiles: [Int: ClientProfile]
    let sampler: ClientSampler
    let method: any ServerMethod
    let evaluator: Trainer
    let test: Dataset
    weak var recorder: (any RoundRecorder)?
    let codec: MessageCodec
    let context: ZMQContext
    let socket: ZMQSocket
    /// The hosts (by routing id) that serve each client, in the order they said hello.
    var hostsOfClient: [Int: [[UInt8]]] = [:]
    /// Every host that said hello, and those whose last task timed out (not given work until they
    /// say hello again).
    var hosts: [[UInt8]] = []
    var silentHosts: Set<[UInt8]> = []
    /// The training samples of each client, the unit of a host's load when tasks are spread.
    let workOfClient: [Int: Int]
    var lastHeartbeat = ContinuousClock.now
    var heartbeatSequence: UInt64 = 0
    var nextTaskID: UInt64 = 1
    /// The tasks of the current round not answered yet, by task id.
    var pending: [UInt64: PendingTask] = [:]
    /// Which mask each device holds: what the bytes counted for a task depend on.
    var deviceMasks = DeviceMasks()
    /// The masks each host connection holds (its `HostMaskCache`, by weight name: digest and the
    /// round it came), what decides whether positions physically go.
    var hostMasks: [[UInt8]: [String: (digest: UInt64, round: Int)]] = [:]
    /// The sparse tensors each client's task of the current round carried.
    var sentMasks: [Int: [TaskFrames.SparseEntry]] = [:]
    var arrived: [Int: (result: ClientResult, size: WireSize)] = [:]
    /// Hello, welcome, heartbeat and error messages since the last round, recorded with the next one.
    var controlMessages: [MessageRecord] = []
    /// How long the previous commit took; reported with the next round.
    var lastWriteSeconds = Duration.zero
    var bytesUpTotal = 0
    var bytesDownTotal = 0

    public init(
        settings: Settings, profiles: [ClientProfile], sampler: ClientSampler, method: any ServerMethod, test: Dataset,
        recorder: (any RoundRecorder)?, workOfClient: [Int: Int] = [:]
    ) throws {
        self.workOfClient = workOfClient
        self.settings = settings
        self.profiles = Dictionary(uniqueKeysWithValues: profiles.map { ($0.id, $0) })
        self.sampler = sampler
        self.method = method
        self.test = test
        self.recorder = recorder
        evaluator = Trainer(network: method.global, learningRate: 0)
        codec = MessageCodec(limits: settings.wire.limits)
        context = try ZMQContext()
        socket = try ZMQSocket.coordinatorRouter(context: context, settings: settings.wire)
        try socket.bind(settings.endpoint)
    }

    /// The endpoint actually bound (resolves a `tcp://127.0.0.1:*` wildcard port).
    public var boundEndpoint: String { (try? socket.lastEndpoint()) ?? settings.endpoint }

    /// Waits until every client has a host and the expected hosts are there, or fails after the
    /// startup timeout naming the clients without one.
    public func waitForHosts() throws {
        let until = ContinuousClock.now + settings.startupTimeout
        while hostsOfClient.count < profiles.count || hosts.count < settings.expectedHosts {
            if StopSignal.isRequested { throw RuntimeError("stopped while waiting for client hosts") }
            if ContinuousClock.now > until {
                let missing = profiles.keys.filter { hostsOfClient[$0] == nil }.sorted()
                throw RuntimeError(
                    "after \(settings.startupTimeout) at \(boundEndpoint), \(hosts.count) of \(settings.expectedHosts) "
                        + "hosts said hello and \(missing.count) clients have none"
                        + (missing.isEmpty ? "" : ": " + Self.describe(missing)))
            }
            try pump(until: .now + .milliseconds(200)) { false }
        }
    }

    /// Tells every host the run is over.
    public func shutdownHosts(reason: String) {
        for host in hosts {
            sendControl(Message(runID: settings.runID, body: .shutdown(Shutdown(reason: reason))), to: host)
        }
    }

    /// Receives and handles messages until `until` or until `done()`, sending heartbeats on the way.
    func pump(until: ContinuousClock.Instant, done: () -> Bool) throws {
        var poller = ZMQPoller()
        _ = poller.register(socket)
        while ContinuousClock.now < until {
            if StopSignal.isRequested { return }
            sendHeartbeatsIfDue()
            let wait = min(until - .now, settings.heartbeatInterval)
            guard try poller.poll(timeout: max(wait, .zero)).first?.contains(.readable) == true else { continue }
            try receiveOne()
            if done() { return }
        }
    }

    private func receiveOne() throws {
        let received = try socket.receiveMessage(dontWait: true)
        guard let (routingID, rest) = received.splittingRoutingID() else { return }
        let decoded: DecodedMessage
        do {
            decoded = try codec.decode(rest)
        } catch {
            controlMessages.append(
                MessageRecord(
                    clientID: nil, direction: .up, kind: "invalid", encoding: "none", bytes: rest.totalByteCount))
            sendControl(error.reply(runID: settings.runID, round: 0), to: routingID)
            return
        }
        // Any message shows the host is alive: one that was only slow (its result came after the
        // deadline and is dropped) gets work again.
        silentHosts.remove(routingID)
        if decoded.message.kind != .result {
            controlMessages.append(
                Self.messageRecord(decoded.size, client: nil, direction: .up, kind: "\(decoded.message.kind)"))
        }
        switch decoded.message.body {
        case .hello(let hello):
            register(hello, routingID: routingID)
        case .result(let body):
            accept(decoded, body: body)
        case .error(let report):
            FileHandle.standardError.write(Data("coordinator: host reported \(report.code): \(report.message)\n".utf8))
        case .heartbeat, .welcome, .task, .shutdown:
            break
        }
    }

    private func register(_ hello: Hello, routingID: [UInt8]) {
        var accepted: [UInt32] = []
        if !hosts.contains(routingID) { hosts.append(routingID) }
        silentHosts.remove(routingID)
        for client in hello.clientIDs where profiles[Int(client)] != nil {
            if !(hostsOfClient[Int(client)]?.contains(routingID) ?? false) {
                hostsOfClient[Int(client), default: []].append(routingID)
            }
            accepted.append(client)
        }
        // A host that says hello may be a new process: it holds no masks until positions reach it.
        hostMasks[routingID] = nil
        let welcome = Welcome(
            topologyName: settings.name, seed: sampler.seed, acceptedClientIDs: accepted,
            heartbeatIntervalMilliseconds: UInt32(settings.heartbeatInterval.inSeconds * 1000))
        sendControl(Message(runID: settings.runID, body: .welcome(welcome)), to: routingID)
        resendPending(to: routingID)
    }

    /// Sends a reconnected host the tasks it had not answered.
    ///
    /// A host runs one task at a time and answers before it reads on, so a task still pending when
    /// it says hello again was lost with its old socket. Were its result in flight after all, the
    /// second answer is ignored.
    private func resendPending(to host: [UInt8]) {
        for (taskID, pendingTask) in pending.sorted(by: { $0.key < $1.key }) where pendingTask.host == host {
            resend(taskID, host: host)
        }
    }

    /// Sends a message that is not a task and records its bytes.
    func sendControl(_ message: Message, to host: [UInt8]) {
        guard let encoded = try? codec.encode(message), (try? socket.send(encoded, to: host)) != nil else { return }
        controlMessages.append(Self.messageRecord(encoded.size, client: nil, direction: .down, kind: "\(message.kind)"))
    }

    private func accept(_ decoded: DecodedMessage, body: TaskResult) {
        guard let sent = pending[body.taskID] else { return }  // late or unknown
        if body.status == .error, body.metrics[MissingMaskError.metric] == 1,
            answerMissingMask(body.taskID, host: sent.host)
        {
            return
        }
        let task = sent.task
        pending[body.taskID] = nil
        do {
            let result = try TaskMessages.result(decoded.message, body: body, kind: task.kind)
            arrived[task.client] = (result, decoded.size)
        } catch {
            let failed = ClientResult(
                client: task.client, round: Int(decoded.message.round), kind: task.kind, outcome: .error,
                reason: "undecodable result: \(error)")
            arrived[task.client] = (failed, decoded.size)
        }
    }

    private func sendHeartbeatsIfDue() {
        guard ContinuousClock.now - lastHeartbeat >= settings.heartbeatInterval else { return }
        lastHeartbeat = .now
        heartbeatSequence += 1
        let beat = Message(
            runID: settings.runID, body: .heartbeat(Heartbeat(hostID: "coordinator", sequence: heartbeatSequence)))
        for host in hosts { sendControl(beat, to: host) }
    }

    static func describe(_ clients: [Int]) -> String {
        clients.count <= 10
            ? clients.map(String.init).joined(separator: ", ")
            : clients.prefix(10).map(String.init).joined(separator: ", ") + ", ..."
    }
}
