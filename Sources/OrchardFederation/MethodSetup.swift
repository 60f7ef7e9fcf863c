import OrchardData
import OrchardNN
import OrchardPayload

/// What every method is built from: the run's seed, model, data shape, local training and the
/// method's settings as the topology gives them.
///
/// The descriptor decodes `settings` into the method's typed settings; the method itself reads
/// the typed value, not this dictionary.
public struct MethodSetup: Sendable {
    public var seed: UInt64
    public var model: String
    public var width: Double
    public var sampleShape: [Int]
    public var classes: Int
    public var training: LocalTraining
    /// The method's settings by key, as the topology loader checked them (every declared setting,
    /// defaults filled in); a setup built by hand may leave out those with a default.
    public var settings: [String: SettingValue]
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
        settings: [String: SettingValue] = [:], serverData: Dataset? = nil, aggregation: Aggregation = .mean
    ) {
        self.seed = seed
        self.model = model
        self.width = width
        self.sampleShape = sampleShape
        self.classes = classes
        self.training = training
        self.settings = settings
        self.serverData = serverData
        self.aggregation = aggregation
    }

    /// A fresh network of the run's model; every process builds the same initial weights.
    public func makeNetwork() throws -> Network {
        let network = try ModelZoo.make(model, sampleShape: sampleShape, classes: classes, width: width, seed: seed)
        try initialState?.load(into: network)
        return network
    }
}
