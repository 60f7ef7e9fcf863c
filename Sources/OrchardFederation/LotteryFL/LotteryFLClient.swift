import OrchardNN
import OrchardTensor

/// LotteryFL (Li et al., 2020): the client half.
///
/// The client loads the global values under its own mask and holds out part of its shard
/// (`PersonalSplit`). When the received model's held-out accuracy reaches `accuracy_threshold`
/// and some layer is above `density`, it prunes `prune_rate` of each such layer's remaining
/// weights by magnitude (`LotteryFLPruning`) and, with `rewind`, resets the kept weights to their
/// initial values, the lottery ticket's rewinding. It then trains on the rest of its shard,
/// evaluates the trained model on the held-out samples, and sends back its weights: values
/// alone where its mask did not change, positions and values where it pruned.
public final class LotteryFLClient: ModelPerTaskClient {
    let setup: MethodSetup
    let settings: LotteryFLSettings
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup, settings: LotteryFLSettings) throws {
        self.setup = setup
        self.settings = settings
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train else { throw FederationError("lotteryfl clients do not run '\(task.kind)' tasks") }
        let configuration = try LotteryFLConfiguration(task: task)
        let batch = Int(try task.setting("batch"))
        let storage = settings.pruning.storage
        try SparseTransfer.load(task.tensors, into: network, batch: batch, storage: storage)
        task.tensors = []
        let sent = network.masks
        let split = try PersonalSplit(
            client.data, fraction: configuration.holdoutFraction, seed: setup.seed, client: client.id)
        let local = LocalClient(id: client.id, data: split.train, memoryBudget: client.memoryBudget)
        let memory = try ClientMemory.check(network, task: task, client: local)
        if let refusal = memory.refusal { return refusal }

        let received = PersonalEvaluation.evaluate(network, on: split.heldOut, batch: batch)
        let receivedAccuracy = received[PersonalEvaluation.accuracy] ?? 0
        var dropped = 0
        if receivedAccuracy >= configuration.accuracyThreshold
            && LotteryFLPruning.above(network, density: configuration.density)
        {
            dropped = try LotteryFLPruning.prune(
                network, density: configuration.density, rate: configuration.pruneRate, batch: batch, storage: storage)
            if dropped > 0 && configuration.rewind { try rewind(batch: batch, storage: storage) }
        }
        var (metrics, _) = try LocalSGD.train(network, task: task, client: local, seed: setup.seed)
        metrics.merge(PersonalEvaluation.evaluate(network, on: split.heldOut, batch: batch)) { $1 }
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        metrics["received_accuracy"] = receivedAccuracy
        metrics["pruned_weights"] = Double(dropped)
        return ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics,
            tensors: SparseTransfer.upload(network, sent: sent))
    }

    /// Sets every value to the initial model's under the current masks.
    func rewind(batch: Int, storage: SparseStorage) throws {
        let initial = try setup.makeNetwork()
        let masks = network.masks
        try initial.applyMasks(masks, batch: batch, storage: .masked)
        try network.load(SparseTransfer.download(initial))
    }
}
