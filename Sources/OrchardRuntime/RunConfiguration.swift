import OrchardExport
import OrchardFederation
import OrchardNN
import OrchardPayload
import OrchardTensor
import OrchardTopology

/// What the coordinator and the hosts derive from a validated topology.
public struct RunConfiguration: Sendable {
    public let plan: RunPlan
    public let setup: MethodSetup
    /// The run's clients and their profiles, by group.
    public let clients: ClientDirectory

    public init(_ plan: RunPlan) throws {
        let topology = plan.topology
        guard topology.training.freshOptimizer else {
            throw RuntimeError(
                "\(plan.file): training.fresh_optimizer: false is not supported: clients keep no optimizer state "
                    + "between rounds, so each round starts a fresh SGD")
        }
        self.plan = plan
        // `fp16` is the runtime's: it says how values are encoded, which no method chooses.
        var methodSettings = topology.method.settings
        let halfPrecision = methodSettings.removeValue(forKey: PruningSettings.halfPrecisionKey) == .boolean(true)
        var setup = MethodSetup(
            seed: topology.seed, model: topology.model.name, width: topology.model.width,
            sampleShape: topology.dataset.sampleShape, classes: topology.dataset.classes,
            training: topology.training, settings: methodSettings, aggregation: Self.aggregation(topology.aggregation))
        setup.valuePrecision = halfPrecision ? .float16 : .float32
        if let path = topology.model.initPath {
            setup.initialState = try Self.initialState(path, setup: setup)
        }
        self.setup = setup
        clients = ClientDirectory(topology)
    }

    /// The weights of the safetensors file at `path` (`model.init`), checked name by name and shape
    /// by shape against the run's model.
    static func initialState(_ path: String, setup: MethodSetup) throws -> ParameterArchive {
        let network = try setup.makeNetwork()
        return try StateDictionary.archive(
            from: SafeTensorsFile(contentsOf: path), for: network, source: "model.init \(path)")
    }

    /// The number of labelled server samples per class the method asks for, if it asks for any.
    var serverSamplesPerClass: Int? {
        guard case .integer(let count) = setup.settings[PruningSettings.serverSamplesKey] else { return nil }
        return count
    }

    /// Whether the method's server needs a labelled set from the training split.
    public var needsServerData: Bool { serverSamplesPerClass != nil }

    /// The method's setup, with the server's labelled set drawn from `data`'s training split when
    /// the method asks for one (`needsServerData`; the test split is for evaluation only).
    public func serverSetup(_ data: RunData) -> MethodSetup {
        var setup = self.setup
        if let perClass = serverSamplesPerClass, let train = data.train {
            setup.serverData = train.samplesPerClass(
                perClass, random: RandomStream(seed: plan.topology.seed, purpose: "server-data"))
        }
        return setup
    }

    /// The methods' form of the topology's `aggregation:`.
    static func aggregation(_ spec: AggregationSpec) -> Aggregation {
        let rule: Aggregation.Rule
        switch spec.rule {
        case .mean: rule = .mean
        case .median: rule = .median
        case .trimmedMean: rule = .trimmedMean(trim: spec.trim)
        }
        return Aggregation(rule: rule, clipNorm: spec.clipNorm)
    }

    /// The coordinator's settings for this run, bound to `endpoint`.
    public func coordinatorSettings(endpoint: String) -> Coordinator.Settings {
        let topology = plan.topology
        var settings = Coordinator.Settings(endpoint: endpoint, rounds: topology.rounds, model: topology.model.name)
        settings.name = topology.name
        settings.taskTimeout = topology.timeouts.task
        settings.heartbeatInterval = .milliseconds(Int64(topology.timeouts.heartbeat * 1000))
        settings.liveness = topology.timeouts.liveness
        settings.valuePrecision = setup.valuePrecision
        settings.deadline = topology.deadline
        settings.quorum = topology.quorum
        settings.evaluateEvery = topology.evaluateEvery
        settings.checkpointEvery = topology.checkpointEvery
        return settings
    }

    /// The sampler of the run's clients.
    public var sampler: ClientSampler {
        ClientSampler(seed: plan.topology.seed, clients: clients, perRound: plan.topology.clientsPerRound)
    }
}
