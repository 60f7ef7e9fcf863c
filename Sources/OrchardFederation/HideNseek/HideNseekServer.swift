import OrchardNN
import OrchardPayload
import OrchardTensor

/// `hidenseek`'s server half: supermask training (Zhou et al., 2019; Ramanujan et al., 2020) as
/// federated by FedPM (Isik et al., ICLR 2023), with the top-k variant of edge-popup.
///
/// The server holds one score per weight of a model whose weights are frozen at random values
/// drawn from the run seed (every process draws the same ones, so no weight ever travels). Each
/// round it sends the scores; clients train them and send back a mask drawn from their
/// probabilities (bits) or their scores. The server then updates its scores:
/// - masks (Bernoulli sampling): FedPM's Bayesian aggregation, a Beta(1, 1) prior per position
///   updated by each client's bit (every client counts once) and reset every `prior_reset`
///   rounds; the new probability is the posterior's mode, the fraction of ones drawn since the
///   reset, kept within [0.01, 0.99], and the new score its logit;
/// - scores, Bernoulli: the sample-weighted mean of the clients' probabilities sigmoid(score), as above;
/// - scores, top-k: the sample-weighted mean of the scores.
///
/// The global model, which the coordinator evaluates, holds the random weights under the mask
/// of each layer's `density` fraction of largest scores (ties broken by a random order drawn from
/// (seed, "supermask-ties", layer)), so the reported density is the target's.
public final class HideNseekServer: ServerMethod {
    public let global: Network
    let setup: MethodSetup
    let settings: HideNseekSettings
    /// The weights' names (`fc1.weight`), in the network's order.
    let names: [String]
    /// Each weight's frozen random values, flat.
    let randomWeights: [[Float]]
    /// The scores each weight's next tasks carry, flat.
    var scores: [[Float]]
    /// Ones drawn per position since the last prior reset, and the draws (clients) they came from.
    var ones: [[Float]]
    var draws = 0
    /// Each weight's tie-breaking rank per position.
    let ties: [[Int32]]

    public init(setup: MethodSetup, settings: HideNseekSettings) throws {
        self.setup = setup
        self.settings = try settings.checked()
        let model = try settings.makeNetwork(setup)
        let layers = Supermask.layers(of: model)
        names = layers.map(\.name)
        randomWeights = layers.map { $0.layer.randomWeight.value.values }
        scores = layers.map { $0.layer.scores.value.values }
        ones = layers.map { [Float](repeating: 0, count: $0.layer.scores.denseCount) }
        ties = layers.indices.map { index in
            var random = RandomStream(seed: setup.seed, purpose: "supermask-ties", index)
            var rank = [Int32](repeating: 0, count: layers[index].layer.scores.denseCount)
            for (order, position) in random.permutation(rank.count).enumerated() { rank[position] = Int32(order) }
            return rank
        }
        global = try setup.makeNetwork()
        try applyGlobalMasks()
    }

    /// The name of the tensor that carries a weight's scores: `fc1.weight` -> `fc1.scores`.
    static func scoresName(_ weight: String) -> String { sibling(weight, "scores") }

    /// The name of the tensor that carries a weight's drawn mask: `fc1.weight` -> `fc1.mask`.
    static func maskName(_ weight: String) -> String { sibling(weight, "mask") }

    private static func sibling(_ weight: String, _ name: String) -> String {
        let layer = weight.hasSuffix(".weight") ? String(weight.dropLast(".weight".count)) : weight
        return layer.isEmpty ? name : layer + "." + name
    }

    /// The shape of the weight at `index`.
    func shape(_ index: Int) -> [Int] {
        global.prunableLayers().first { $0.name == names[index] }?.layer.weight.shape ?? [scores[index].count]
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        var training = LocalSGD.settings(setup.training)
        training["learning_rate"] = settings.scoreLearningRate
        // One payload per weight, shared by every task of the round.
        let tensors = names.indices.map { index in
            NamedTensor(
                name: Self.scoresName(names[index]),
                tensor: Tensor(shape: shape(index), values: scores[index], role: .parameter))
        }
        return clients.map { ClientTask(client: $0, round: round, kind: .train, settings: training, tensors: tensors) }
    }

    public func contract(for task: ClientTask) -> ResultContract {
        ResultContract(
            entries: names.indices.map { index in
                switch settings.upload {
                case .mask: ResultContract.Entry(name: Self.maskName(names[index]), form: .mask(shape: shape(index)))
                case .scores:
                    ResultContract.Entry(name: Self.scoresName(names[index]), form: .dense(shape: shape(index)))
                }
            })
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let usable = results.filter { $0.outcome == .ok && $0.kind == .train }
        guard !usable.isEmpty else { return }
        switch settings.upload {
        case .mask: try aggregateMasks(round: round, usable)
        case .scores: try aggregateScores(round: round, usable)
        }
        try applyGlobalMasks()
    }

    /// Keeps each weight's `density` fraction of largest scores in the global model, over its random values.
    func applyGlobalMasks() throws {
        global.removeMasks()
        var masks: [String: [Int32]] = [:]
        for (index, name) in names.enumerated() {
            guard let weight = global.parameter(named: name), weight.denseCount == randomWeights[index].count else {
                throw FederationError("the model has no weight '\(name)' of \(randomWeights[index].count) values")
            }
            randomWeights[index].withUnsafeBufferPointer { weight.assignDense($0.baseAddress!) }
            masks[name] = Self.top(
                scores[index], ties: ties[index],
                kept: Supermask.keptCount(scores[index].count, density: settings.density))
        }
        try global.applyMasks(masks, batch: 1, storage: .masked)
    }

    /// The ascending positions of the `kept` largest values, ties going to the lower rank.
    static func top(_ values: [Float], ties: [Int32], kept: Int) -> [Int32] {
        let order = values.indices.sorted {
            values[$0] > values[$1] || (values[$0] == values[$1] && ties[$0] < ties[$1])
        }
        return order.prefix(kept).sorted().map { Int32($0) }
    }
}
