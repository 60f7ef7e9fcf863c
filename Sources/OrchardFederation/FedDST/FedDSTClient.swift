import OrchardNN
import OrchardTensor

/// FedDST (Bibikar et al., AAAI'22): the client half.
///
/// In a `train` task the client trains the received sparse model and sends back its kept values.
/// In an `adjust` task it also changes its own mask once, RigL style (`FedDSTAdjustment`), after
/// `adjust_epochs` of the local epochs (0: before training, as FedPruning's default; the task's
/// epochs: after training), and sends its weights with their new positions, so that the server
/// learns the mask from the upload.
public final class FedDSTClient: ModelPerTaskClient {
    let setup: MethodSetup
    let settings: FedDSTSettings
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup, settings: FedDSTSettings) throws {
        self.setup = setup
        self.settings = settings
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train || task.kind == .adjust else {
            throw FederationError("feddst clients do not run '\(task.kind)' tasks")
        }
        let batch = Int(try task.setting("batch"))
        let storage = settings.pruning.storage
        try SparseTransfer.load(task.tensors, into: network, batch: batch, storage: storage)
        task.tensors = []
        let sent = network.masks
        let adjusting = task.kind == .adjust
        let fraction = adjusting ? try task.setting("adjust_fraction") : 0
        let epochs = Int(try task.setting("epochs"))
        let adjustAfter = adjusting ? min(max(Int(try task.setting("adjust_epochs")), 0), epochs) : -1
        let buffers = adjusting ? FedDSTAdjustment.bufferBytes(network, fraction: fraction, batch: batch) : 0
        let memory = try ClientMemory.check(network, task: task, client: client, methodBuffers: buffers)
        if let refusal = memory.refusal { return refusal }

        var grownCount = 0
        var extraFLOPs = FLOPCount.zero
        let round = task.round
        let adjust = { [network, setup] in
            let (grown, flops) = try FedDSTAdjustment.adjust(
                network, data: client.data, batch: batch, fraction: fraction, storage: storage,
                random: RandomStream(seed: setup.seed, purpose: "growth-batch", client.id, round))
            grownCount = grown.values.reduce(0) { $0 + $1.count }
            extraFLOPs = flops
        }
        var (metrics, _) = try LocalSGD.train(
            network, task: task, client: client, seed: setup.seed,
            beforeEpoch: { epoch, _ in if epoch == adjustAfter { try adjust() } })
        if adjustAfter == epochs {
            try adjust()
            metrics["peak_memory_bytes"] = Double(TaskMemory.peak)
        }
        metrics["flops"] = (metrics["flops"] ?? 0) + Double(extraFLOPs.total)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        if adjusting { metrics["grown_weights"] = Double(grownCount) }
        let result = ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics,
            tensors: SparseTransfer.upload(network, sent: sent))
        return result
    }
}
