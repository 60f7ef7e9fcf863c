import OrchardTensor

/// The bytes of live tensors that training a network on batches of one size takes, by what holds
/// them, predicted from shapes before anything runs.
///
/// The figures are what the `MemoryLedger` would count, so that a client can refuse a task that
/// would not fit its budget and a report can set the prediction beside the measured peak:
/// - `parameters`: every parameter's stored values (only the kept entries of a compact weight, all
///   of a masked one), the index arrays of pruned weights, and the batch-norm running statistics;
/// - `gradients` and `optimizer`: one value per stored trained value, the second only with momentum;
/// - `activations`: what each layer keeps after a training forward and backward pass (outputs,
///   input gradients where needed, im2col and wide-row columns, the sparse kernels' phase planes,
///   transposes and offset tables), from `Layer.trainingBytes(inputShape:)`, and the loss's
///   gradient of the logits;
/// - `data`: the input batch as `Trainer.trainEpoch` holds it;
/// - `methodBuffers`: what the federated method adds (a top-K buffer and the like), as its caller says.
///
/// Layers allocate all of this in the first step and reuse it afterwards, and nothing in a step is
/// freed before the step ends, so the peak of a training task is the sum, reached at the end of its
/// first step. The measured peak of one step on a fresh network equals the prediction exactly for
/// every zoo model, dense, masked and compact at 5%, at batch sizes 1 and 8 (see
/// `TrainingFootprintTests`).
///
/// Not counted, because the ledger does not count them: labels, max-pooling winners and batch-norm
/// statistics of the batch (Swift arrays), and BLAS's internal buffers. Not predicted: a batch size
/// change, such as a smaller last batch of an epoch, briefly holds both sizes of the tensors the
/// layers replace (up to that batch's data and one layer's tensors more); workspaces left from an
/// earlier storage (a compact layer made dense again keeps its sparse kernel's); and transients of
/// `Network.applyMasks`, which copies a weight while it re-lays it out.
public struct TrainingFootprint: Sendable, Equatable {
    /// Stored values of every parameter and running statistic, and sparse index arrays.
    public var parameters: Int
    /// Gradients of the trained parameters, laid out as their values.
    public var gradients: Int
    /// Momentum buffers, laid out as the trained values; zero without momentum.
    public var optimizer: Int
    /// Layers' outputs, input gradients and workspaces after a step, and the loss's gradient.
    public var activations: Int
    /// The input batch.
    public var data: Int
    /// Buffers of the federated method, as given.
    public var methodBuffers: Int

    /// Creates a footprint from its parts, in bytes.
    public init(parameters: Int, gradients: Int, optimizer: Int, activations: Int, data: Int, methodBuffers: Int) {
        self.parameters = parameters
        self.gradients = gradients
        self.optimizer = optimizer
        self.activations = activations
        self.data = data
        self.methodBuffers = methodBuffers
    }

    /// The sum of the parts: the predicted peak of live tensor bytes.
    public var total: Int { parameters + gradients + optimizer + activations + data + methodBuffers }
}

extension Network {
    /// The bytes training on batches of `batch` samples will hold at its peak, from the shapes and
    /// the weights' current storage, without allocating or running anything.
    ///
    /// - Parameters:
    ///   - momentum: whether the optimizer keeps momentum buffers (SGD with momentum ≠ 0).
    ///   - methodBuffers: bytes the federated method holds beside the network, counted as given.
    public func predictedFootprint(batch: Int, momentum: Bool, methodBuffers: Int = 0) -> TrainingFootprint {
        let floatBytes = MemoryLayout<Float>.stride
        var parameterBytes = 0
        var trainedBytes = 0
        for entry in parameters {
            let parameter = entry.parameter
            let values = parameter.storedCount * floatBytes
            parameterBytes += values + (parameter.pattern?.indexBytes ?? 0)
            if parameter.kind.isTrainable { trainedBytes += values }
        }
        let input = [batch] + sampleShape
        return TrainingFootprint(
            parameters: parameterBytes, gradients: trainedBytes, optimizer: momentum ? trainedBytes : 0,
            activations: body.trainingBytes(inputShape: input) + tensorBytes([batch, classes]),
            data: tensorBytes(input), methodBuffers: methodBuffers)
    }
}

extension Parameter {
    /// The values stored: the kept entries when compact, else the dense count.
    var storedCount: Int { isCompact ? pattern?.count ?? denseCount : denseCount }
}
