import OrchardNN
import OrchardTensor

/// PruneFL as FedPruning runs it: the client half.
///
/// A `train` task trains the received sparse model and sends back its kept values. An `adjust`
/// task also adds the squared gradient of every position of every tensor (of the pruned weights
/// only with `gradient_upload: pruned`) after each local step, and sends the mean over the steps
/// as dense tensors named `gradient:<parameter>`; the dense accumulators are a method buffer of
/// the memory check.
public final class PruneFLClient: ModelPerTaskClient {
    let setup: MethodSetup
    let settings: PruneFLSettings
    /// The task's model, built anew for each task.
    var network: Network

    public init(setup: MethodSetup, settings: PruneFLSettings) throws {
        self.setup = setup
        self.settings = settings
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train || task.kind == .adjust else {
            throw FederationError("prunefl clients do not run '\(task.kind)' tasks")
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

        var importance: DenseGradients?
        var steps = 0
        var (metrics, _) = try LocalSGD.train(
            network, task: task, client: client, seed: setup.seed,
            beforeEpoch: { [network] epoch, _ in
                // Allocated inside training, so that the measured peak includes it.
                if adjusting && epoch == 0 { importance = try DenseGradients(network, scope: scope, batch: batch) }
            },
            afterStep: { _ in
                importance?.accumulate(squared: true)
                steps += 1
            })
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        var tensors = SparseTransfer.upload(network, sent: sent)
        if let importance {
            importance.scale(by: 1 / Float(max(steps, 1)))
            tensors += importance.namedTensors
        }
        let result = ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: tensors)
        return result
    }
}
