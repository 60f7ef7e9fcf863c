import OrchardData
import OrchardNN
import OrchardPayload
import OrchardTensor

/// What every method is built from: the model, the local training settings and the method's own.
public struct MethodSetup: Sendable {
    public var seed: UInt64
    public var model: String
    public var width: Double
    public var sampleShape: [Int]
    public var classes: Int
    public var training: LocalTraining
    /// The method's numeric settings from the topology, by key; a boolean is 1 or 0.
    public var settings: [String: Double]
    /// The method's settings that are words from a list of choices, by key.
    public var choices: [String: String]
    /// A small labelled set the server may use (SNIP and GraSP scoring, FedTiny's pretraining);
    /// `nil` when the run provides none.
    public var serverData: Dataset?
    /// How the server combines the clients' models; FedAvg's weighted mean by default.
    public var aggregation: Aggregation
    /// How the values of every task travel: the runtime's choice for the run, which the
    /// coordinator applies when it encodes tasks; no method reads it.
    public var valuePrecision: ValuePrecision = .float32
    /// The weights every fresh network starts from instead of the seed's initialisation (the
    /// topology's `model.init`), already checked against the model; nil for the seed's.
    public var initialState: ParameterArchive?

    public init(
        seed: UInt64, model: String, width: Double = 1, sampleShape: [Int], classes: Int, training: LocalTraining,
        settings: [String: Double] = [:], choices: [String: String] = [:], serverData: Dataset? = nil,
        aggregation: Aggregation = .mean
    ) {
        self.seed = seed
        self.model = model
        self.width = width
        self.sampleShape = sampleShape
        self.classes = classes
        self.training = training
        self.settings = settings
        self.choices = choices
        self.serverData = serverData
        self.aggregation = aggregation
    }

    /// The numeric setting `key`, or an error naming it.
    public func setting(_ key: String) throws -> Double {
        guard let value = settings[key] else { throw FederationError("the method has no setting '\(key)'") }
        return value
    }

    /// The choice setting `key`, or an error naming it.
    public func choice(_ key: String) throws -> String {
        guard let value = choices[key] else { throw FederationError("the method has no setting '\(key)'") }
        return value
    }

    /// A fresh network of the run's model; every process builds the same initial weights.
    public func makeNetwork() throws -> Network {
        let network = try ModelZoo.make(model, sampleShape: sampleShape, classes: classes, width: width, seed: seed)
        try initialState?.load(into: network)
        return network
    }
}

/// The local training every client does in a round.
public struct LocalTraining: Sendable, Equatable {
    public var epochs: Int
    public var batch: Int
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float

    public init(
        epochs: Int = 1, batch: Int = 32, learningRate: Float = 0.05, momentum: Float = 0, weightDecay: Float = 0
    ) {
        self.epochs = epochs
        self.batch = batch
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }
}

/// The server half of a method: plans each round's tasks and folds the results into the global model.
///
/// The coordinator samples the round's clients, asks for their tasks, sends them, and hands back the
/// results of the clients that answered, ordered by client id so that aggregation is deterministic.
public protocol ServerMethod: AnyObject {
    /// The global model, evaluated and checkpointed by the coordinator.
    var global: Network { get }
    /// The tasks of `round` for the sampled `clients`, in the same order.
    func tasks(round: Int, clients: [Int]) throws -> [ClientTask]
    /// What a result of `task` must hold; the coordinator rejects any result that does not match.
    func contract(for task: ClientTask) -> ResultContract
    /// Updates the global state from the round's results (outcome `ok` only, in client-id order).
    func aggregate(round: Int, results: [ClientResult]) throws
    /// The method's state beyond the model's values that a checkpoint keeps; nil when none.
    func checkpointExtra() -> [UInt8]?
    /// Restores what `checkpointExtra` saved, before the checkpoint's values are loaded.
    func restore(checkpointExtra: [UInt8]?) throws
}

extension ServerMethod {
    /// The state the task carried, sent back in the same forms under the same masks.
    public func contract(for task: ClientTask) -> ResultContract { .returningState(of: task) }

    /// The global model's masks, when it is pruned: a method whose masks change keeps them so.
    public func checkpointExtra() -> [UInt8]? {
        let masks = global.masks
        return masks.isEmpty ? nil : MaskArchive.encode(masks, order: global)
    }

    /// Prunes the global model (held masked) to the saved masks.
    public func restore(checkpointExtra: [UInt8]?) throws {
        try restoreMasks(checkpointExtra)
    }

    /// Prunes the global model (held masked) to the masks `checkpointExtra` holds; false when the
    /// checkpoint holds none.
    @discardableResult
    func restoreMasks(_ checkpointExtra: [UInt8]?) throws -> Bool {
        guard let checkpointExtra else { return false }
        try global.applyMasks(MaskArchive.decode(checkpointExtra), batch: 1, storage: .masked)
        return true
    }
}

/// The client half of a method: runs one task on one client's data.
public protocol ClientMethod: AnyObject {
    ///
    /// The method owns the task: it can drop the received tensors once loaded, so that they do
    /// not count in the memory the task measures.
    func run(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult
}

/// The methods Orchard knows, by the name a topology uses.
public enum MethodRegistry {
    public static let names = ["fedavg", "fixed-mask", "fedtiny", "fedtiny-clean", "prunefl", "feddst"]

    /// Builds the server half.
    public static func server(_ name: String, setup: MethodSetup) throws -> any ServerMethod {
        switch name {
        case "fedavg": return try FedAvgServer(setup: setup)
        case "fixed-mask": return try FixedMaskServer(setup: setup)
        case "fedtiny": return try FedTinyServer(setup: setup)
        case "feddst": return try FedDSTServer(setup: setup)
        case "prunefl": return try PruneFLServer(setup: setup)
        case "fedtiny-clean": return try FedTinyCleanServer(setup: setup)
        default: throw FederationError("unknown method '\(name)'; known methods: \(names.joined(separator: ", "))")
        }
    }

    /// Builds the client half; one serves every logical client of a host process.
    public static func client(_ name: String, setup: MethodSetup) throws -> any ClientMethod {
        switch name {
        case "fedavg": return try FedAvgClient(setup: setup)
        case "fixed-mask": return try FixedMaskClient(setup: setup)
        case "fedtiny": return try FedTinyClient(setup: setup)
        case "feddst": return try FedDSTClient(setup: setup)
        case "prunefl": return try PruneFLClient(setup: setup)
        case "fedtiny-clean": return try FedTinyCleanClient(setup: setup)
        default: throw FederationError("unknown method '\(name)'; known methods: \(names.joined(separator: ", "))")
        }
    }
}
