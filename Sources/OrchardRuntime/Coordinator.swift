import Foundation
import Logging
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardPayload
import OrchardStore
import OrchardTensor
import OrchardWire

/// The coordinator: one thread, one ROUTER socket, the round loop of a run.
///
/// Its decisions belong to a `CoordinatorStateMachine`: who is a host, which result answers which
/// task, what is rejected, when a host is lost. This class is the loop around it: it receives
/// messages and turns them into events, carries out the actions the machine returns (sends,
/// resends, log lines), and runs the rounds: the method's server half plans the tasks, the
/// machine places them on hosts, the results it accepts are aggregated, the global model is
/// evaluated when due, the virtual clock advances and the recorder writes the round in one
/// transaction.
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
        /// Heartbeat intervals of silence after which a host is presumed lost.
        public var liveness = 3
        /// The most hosts registered at once; 0: the expected hosts and 16 more.
        public var maxHosts = 0
        /// The largest magnitude a value of a result may have.
        public var maxMagnitude: Float = 1e6
        /// How the values of every task travel (the topology's `fp16`).
        public var valuePrecision: ValuePrecision = .float32
        /// How many hosts to wait for before the first round, beyond covering every client.
        public var expectedHosts = 1
        /// Whether to measure each task's time on its link and record it with the virtual clock's
        /// prediction (`link_times`); the coordinator then evaluates and commits a round before it
        /// sends the next one's tasks, so that no result waits for it to be read.
        public var measureLinks = false
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
        /// What the method said about the round's aggregation, for a person to read.
        public var notes: [String] = []
    }

    let settings: Settings
    /// The run's clients and their profiles.
    let clients: ClientDirectory
    let sampler: ClientSampler
    let method: any ServerMethod
    let evaluator: Trainer
    let test: Dataset
    weak var recorder: (any RoundRecorder)?
    let codec: MessageCodec
    let context: ZMQContext
    let socket: ZMQSocket
    /// Hosts, pending tasks, liveness and validation.
    var machine: CoordinatorStateMachine
    /// The training samples of each client, the unit of a host's load when tasks are spread.
    let workOfClient: ShardSizes
    /// The size counted for each pending task: what its device would receive.
    var counted: [UInt64: WireSize] = [:]
    /// Which mask each device holds: what the bytes counted for a task depend on.
    var deviceMasks = DeviceMasks()
    /// The masks each host connection holds (its `HostMaskCache`, by weight name: digest and the
    /// round it came), what decides whether positions physically go.
    var hostMasks: [[UInt8]: [String: (digest: UInt64, round: Int)]] = [:]
    /// The sparse tensors each client's task of the current round carried.
    var sentMasks: [Int: [TaskFrames.SparseEntry]] = [:]
    /// Messages of registered hosts outside tasks and results since the last round, recorded with the next one.
    var controlMessages: [MessageRecord] = []
    /// How long the previous commit took; reported with the next round.
    var lastWriteSeconds = Duration.zero
    var bytesUpTotal = 0
    /// When each client's task of the round last went to the socket, and when its result came.
    var taskSentAt: [Int: ContinuousClock.Instant] = [:]
    var resultArrivedAt: [Int: ContinuousClock.Instant] = [:]
    var bytesDownTotal = 0
    /// Where the coordinator's messages go: rejected messages and lost hosts as warnings, the
    /// periodic summaries of rejections as notices.
    let logger: Logger
    /// The CurveZMQ handshake counts written to the run file so far.
    var authenticationCounts = AuthenticationCounts()

    /// Creates a coordinator of `profiles` whose training samples `workOfClient` gives, where it
    /// knows them; for runs whose clients are few enough to list.
    public convenience init(
        settings: Settings, profiles: [ClientProfile], sampler: ClientSampler, method: any ServerMethod, test: Dataset,
        recorder: (any RoundRecorder)?, workOfClient: [Int: Int] = [:],
        logger: Logger = Logger(label: "orchard.coordinator")
    ) throws {
        try self.init(
            settings: settings, clients: ClientDirectory(profiles: profiles), sampler: sampler, method: method,
            test: test, recorder: recorder, sizes: ShardSizes(workOfClient), logger: logger)
    }

    /// Creates a coordinator of `clients`, whose training samples `sizes` gives, bound to the
    /// settings' endpoint.
    public init(
        settings: Settings, clients: ClientDirectory, sampler: ClientSampler, method: any ServerMethod, test: Dataset,
        recorder: (any RoundRecorder)?, sizes: ShardSizes, logger: Logger = Logger(label: "orchard.coordinator")
    ) throws {
        self.workOfClient = sizes
        self.settings = settings
        self.clients = clients
        self.sampler = sampler
        self.method = method
        self.test = test
        self.recorder = recorder
        evaluator = Trainer(network: method.global, learningRate: 0)
        codec = MessageCodec(limits: settings.wire.limits)
        context = try ZMQContext()
        socket = try ZMQSocket.coordinatorRouter(context: context, settings: settings.wire)
        try socket.bind(settings.endpoint)
        self.logger = logger
        machine = CoordinatorStateMachine(
            configuration: .init(
                runID: settings.runID, topologyName: settings.name, seed: sampler.seed,
                heartbeatInterval: settings.heartbeatInterval, liveness: max(2, settings.liveness),
                taskTimeout: .milliseconds(Int64((settings.taskTimeout * 1000).rounded())),
                maxHosts: settings.maxHosts > 0 ? settings.maxHosts : settings.expectedHosts + 16,
                shardSizes: sizes, clients: clients.ranges, maxMagnitude: settings.maxMagnitude),
            now: .now)
    }

    /// The endpoint actually bound (resolves a `tcp://127.0.0.1:*` wildcard port).
    public var boundEndpoint: String { (try? socket.lastEndpoint()) ?? settings.endpoint }

    /// Waits until every client has a host and the expected hosts are there, or until a stop is
    /// requested; fails after the startup timeout naming the clients without one.
    public func waitForHosts() throws {
        let until = ContinuousClock.now + settings.startupTimeout
        while !machine.clientsWithoutHost().isEmpty || machine.hosts.count < settings.expectedHosts {
            if StopSignal.isRequested { return }
            if ContinuousClock.now > until {
                let missing = machine.clientsWithoutHost()
                throw RuntimeError(
                    "after \(settings.startupTimeout) at \(boundEndpoint), \(machine.hosts.count) of "
                        + "\(settings.expectedHosts) hosts said hello and \(missing.reduce(0) { $0 + $1.count }) "
                        + "clients have none" + (missing.isEmpty ? "" : ": " + CoordinatorStateMachine.text(missing)))
            }
            try pump(until: .now + .milliseconds(200)) { false }
        }
    }

    /// Tells every host the run is over.
    public func shutdownHosts(reason: String) {
        for host in machine.hostOrder {
            sendControl(Message(runID: settings.runID, body: .shutdown(Shutdown(reason: reason))), to: host)
        }
    }

    /// Receives and handles messages until `until` or until `done()`, giving the machine its ticks.
    ///
    /// Every message already queued is read before the machine judges liveness, so that a pause of
    /// the coordinator's own (an evaluation, a commit) does not make its hosts look silent.
    func pump(until: ContinuousClock.Instant, done: () -> Bool) throws {
        var poller = ZMQPoller()
        _ = poller.register(socket)
        while true {
            if StopSignal.isRequested { return }
            // At most a burst's worth, so that a flood cannot keep ticks from coming.
            var burst = 0
            while burst < 1000, try poller.poll(timeout: .zero).first?.contains(.readable) == true {
                burst += 1
                try receiveOne()
                if done() { return }
            }
            perform(machine.handle(.tick, now: .now))
            if done() { return }
            let now = ContinuousClock.now
            guard now < until else { return }
            let wait = min(until, machine.nextWake(after: now), now + .seconds(1)) - now
            _ = try poller.poll(timeout: max(wait, .milliseconds(1)))
        }
    }

    private func receiveOne() throws {
        let received = try socket.receiveMessage(
            dontWait: true, frameLimit: settings.wire.limits.receiveFrameLimit(routed: true))
        guard let (routingID, rest) = received.splittingRoutingID() else { return }
        let now = ContinuousClock.now
        let decoded: DecodedMessage
        do {
            decoded = try codec.decode(rest)
        } catch {
            perform(machine.handle(.undecodable(error, bytes: rest.totalByteCount, from: routingID), now: now))
            return
        }
        let registered = machine.hosts[routingID] != nil
        if case .result(let body) = decoded.message.body { resultArrivedAt[Int(body.clientID)] = now }
        perform(machine.handle(.message(decoded, from: routingID), now: now))
        // The control messages of hosts are recorded; a stranger's are only counted, by the machine's ledger.
        if decoded.message.kind != .result && (registered || machine.hosts[routingID] != nil) {
            controlMessages.append(
                Self.messageRecord(decoded.size, client: nil, direction: .up, kind: "\(decoded.message.kind)"))
        }
    }

    /// Carries out the machine's actions.
    func perform(_ actions: [CoordinatorStateMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let message, let peer): sendControl(message, to: peer)
            case .resend(let taskID, let peer): resend(taskID, host: peer)
            case .forgetMasks(let peer): hostMasks[peer] = nil
            case .log(let level, let line): logger.log(level: level, "\(line)")
            }
        }
    }

    /// Sends a message that is not a task and records its bytes when it goes to a host.
    func sendControl(_ message: Message, to host: [UInt8]) {
        guard let encoded = try? codec.encode(message), (try? socket.send(encoded, to: host)) != nil else { return }
        guard machine.hosts[host] != nil else { return }
        controlMessages.append(Self.messageRecord(encoded.size, client: nil, direction: .down, kind: "\(message.kind)"))
    }
}
