import OrchardData
import OrchardNN
import OrchardTensor

/// FedTiny-Clean, the FedTiny that FedPruning ships: the client half.
///
/// A `train` task trains the received sparse model and sends back its kept values. An `adjust`
/// task then computes a growth gradient at the final local weights and sends it dense for every
/// tensor (only the pruned weights with `gradient_upload: pruned`), named `gradient:<parameter>`,
/// as the library does: the dense buffers are a method buffer of the memory check, and they are
/// what makes the method costly on a small device. `growth_data_mode` says which data: `batch`
/// (the first batch of a fresh shuffle, the default), `entire` (summed over one pass of all the
/// local batches), `single` (one sample twice) or `random` (standard normal values, an ablation).
public final class FedTinyCleanClient: ModelPerTaskClient {
    let setup: MethodSetup
    let settings: FedTinyCleanSettings
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup, settings: FedTinyCleanSettings) throws {
        self.setup = setup
        self.settings = settings
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train || task.kind == .adjust else {
            throw FederationError("fedtiny-clean clients do not run '\(task.kind)' tasks")
        }
        let batch = Int(try task.setting("batch"))
        try SparseTransfer.load(task.tensors, into: network, batch: batch, storage: settings.pruning.storage)
        task.tensors = []
        let sent = network.masks
        let adjusting = task.kind == .adjust
        let scope = settings.gradientUpload
        let buffers = adjusting ? DenseGradients.bytes(network, scope: scope) : 0
        let memory = try ClientMemory.check(network, task: task, client: client, methodBuffers: buffers)
        if let refusal = memory.refusal { return refusal }

        var (metrics, _) = try LocalSGD.train(network, task: task, client: client, seed: setup.seed)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        var gradientTensors: [NamedTensor] = []
        if adjusting {
            let gradients = try DenseGradients(network, scope: scope, batch: batch)
            let flops = try Self.growthGradient(
                gradients, mode: settings.growthData, network: network, data: client.data, batch: batch,
                random: RandomStream(seed: setup.seed, purpose: "growth-batch", client.id, task.round))
            metrics["flops"] = (metrics["flops"] ?? 0) + Double(flops.total)
            metrics["peak_memory_bytes"] = Double(TaskMemory.peak)
            gradientTensors = gradients.namedTensors
        }
        // The upload is taken after the growth pass, whose training-mode forward moved the
        // batch-norm statistics, as the library's state_dict is.
        let tensors = SparseTransfer.upload(network, sent: sent) + gradientTensors
        let result = ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: tensors)
        return result
    }

    /// Fills `gradients` as `mode` says, from batches drawn with `random`; returns the FLOPs spent.
    static func growthGradient(
        _ gradients: DenseGradients, mode: FedTinyCleanSettings.GrowthData, network: Network, data: Dataset, batch: Int,
        random: RandomStream
    ) throws -> FLOPCount {
        var order = BatchOrder(count: data.count, batchSize: batch, shuffle: random)
        var flops = FLOPCount.zero
        switch mode {
        case .batch:
            flops = PositionGradient.backward(network, data: data, indices: order.nextBatch())
            gradients.accumulate(squared: false)
        case .entire:
            for indices in order.nextEpoch() {
                flops = flops + PositionGradient.backward(network, data: data, indices: indices)
                gradients.accumulate(squared: false)
            }
        case .single:
            let sample = order.nextBatch().first!
            flops = PositionGradient.backward(network, data: data, indices: [sample, sample])
            gradients.accumulate(squared: false)
        case .random:
            var normal = random
            gradients.fillNormal(&normal)
        }
        return flops
    }
}
