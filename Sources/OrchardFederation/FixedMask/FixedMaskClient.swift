import OrchardNN
import OrchardTensor

/// FedAvg over a mask fixed at initialisation: the client half.
///
/// The client takes the mask from the positions of the weights it receives, holds the pruned
/// weights sparsely (values, gradients and momentum only at kept positions, below each layer's
/// crossover density), trains, and sends back the kept values alone.
public final class FixedMaskClient: ModelPerTaskClient {
    let setup: MethodSetup
    let settings: FixedMaskSettings
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup, settings: FixedMaskSettings) throws {
        self.setup = setup
        self.settings = settings
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train else { throw FederationError("fixed-mask clients do not run '\(task.kind)' tasks") }
        let batch = Int(try task.setting("batch"))
        try SparseTransfer.load(task.tensors, into: network, batch: batch, storage: settings.pruning.storage)
        task.tensors = []
        let sent = network.masks
        let memory = try ClientMemory.check(network, task: task, client: client)
        if let refusal = memory.refusal { return refusal }
        var (metrics, _) = try LocalSGD.train(network, task: task, client: client, seed: setup.seed)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        let result = ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics,
            tensors: SparseTransfer.upload(network, sent: sent))
        return result
    }
}
