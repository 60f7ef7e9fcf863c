import OrchardNN
import OrchardPayload
import OrchardTensor

/// `hidenseek`'s client half: train the scores of a supermask model, send back a mask or the scores.
///
/// The task carries the server's scores, one `<layer>.scores` tensor per weight; the client builds
/// the supermask model from the run seed (the same frozen random weights and biases as every other
/// process), loads the scores, trains them with SGD at the task's learning rate (the method's
/// `score_lr`), and uploads per weight either a mask drawn from its final probabilities
/// (`<layer>.mask`, which travels as bits) or its scores (`<layer>.scores`). Bernoulli draws come
/// from the stream (seed, "supermask-draws", client, round, layer).
public final class HideNseekClient: ClientMethod {
    let setup: MethodSetup
    let settings: HideNseekSettings

    public init(setup: MethodSetup, settings: HideNseekSettings) throws {
        self.setup = setup
        self.settings = try settings.checked()
    }

    public func run(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        let task = task
        guard task.kind == .train else { throw FederationError("hidenseek clients do not run '\(task.kind)' tasks") }
        let network = try settings.makeNetwork(setup)
        return try TaskMemory.measure(adopting: network) { try runMeasured(task, network: network, on: client) }
    }

    /// The task's work on its supermask model, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, network: Network, on client: LocalClient) throws -> ClientResult {
        let layers = Supermask.layers(of: network)
        try Self.loadScores(task.tensors, into: layers)
        task.tensors = []
        for (index, entry) in layers.enumerated() {
            entry.layer.random = RandomStream(
                seed: setup.seed, purpose: "supermask-draws", client.id, task.round, index)
        }
        let memory = try ClientMemory.check(network, task: task, client: client)
        if let refusal = memory.refusal { return refusal }
        var (metrics, _) = try LocalSGD.train(network, task: task, client: client, seed: setup.seed)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        let tensors = upload(layers)
        if settings.upload == .mask {
            let kept = tensors.reduce(0) { total, tensor in
                if case .mask(_, let indices) = tensor.payload { return total + indices.count }
                return total
            }
            let count = layers.reduce(0) { $0 + $1.layer.scores.denseCount }
            metrics["upload_density"] = Double(kept) / Double(max(count, 1))
        }
        return ClientResult(client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: tensors)
    }

    /// Sets each layer's scores from the task's `<layer>.scores` tensors.
    static func loadScores(_ tensors: [NamedTensor], into layers: [(name: String, layer: Supermask)]) throws {
        for entry in layers {
            let name = HideNseekServer.scoresName(entry.name)
            guard let tensor = tensors.first(where: { $0.name == name }) else {
                throw FederationError("the hidenseek task lacks tensor '\(name)'")
            }
            let scores = entry.layer.scores
            guard tensor.shape == scores.shape else {
                throw FederationError("tensor '\(name)' has shape \(tensor.shape), the model needs \(scores.shape)")
            }
            let dense = try tensor.denseTensor()
            withExtendedLifetime(dense) { scores.assignDense(dense.data) }
        }
    }

    /// What the client sends: per weight its drawn mask as kept positions, or its scores.
    func upload(_ layers: [(name: String, layer: Supermask)]) -> [NamedTensor] {
        layers.map { entry in
            let scores = entry.layer.scores
            switch settings.upload {
            case .scores:
                return NamedTensor(name: HideNseekServer.scoresName(entry.name), tensor: scores.value.copy())
            case .mask:
                let drawn = entry.layer.mask(training: true)
                let kept = drawn.indices.filter { drawn[$0] }.map { Int32($0) }
                return NamedTensor(
                    name: HideNseekServer.maskName(entry.name), payload: .mask(shape: scores.shape, indices: kept))
            }
        }
    }
}
