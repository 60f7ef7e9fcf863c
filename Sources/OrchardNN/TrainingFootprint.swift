import OrchardTensor

/// The bytes of live tensors that training a network on batches of one size takes, by what holds
/// them, predicted from shapes before anything runs.
///
/// The figures are what the `MemoryLedger` would count, so that a client can refuse a task that
/// would not fit its budget and a report can set the prediction beside the measured peak:
/// - `parameters`: every parameter's stored values (only the kept entries of a compact weight, all
///   of a masked one), the index arrays of pruned weights, and the batch-norm running statistics;
/// - `gradients` and `optimizer`: one value per stored trained value, the second only with momentum
///   and not for frozen parameters (a supermask's effective weight has a gradient but no momentum);
/// - `activations`: what each layer keeps after a training forward and backward pass (outputs,
///   input gradients where needed, im2col and wide-row columns, the sparse kernels' phase planes,
///   transposes and offset tables), from `Layer.trainingTensors(inputShape:)`, the network's shared
///   sparse workspace (counted once, at the largest need of its layers), and the loss's gradient of
///   the logits;
/// - `data`: the input batch as `Trainer.trainEpoch` holds it;
/// - `batchChange`: when an epoch ends with a smaller batch, layers replace each tensor by one of
///   the new shape, allocated while the old one is still live (and the old data stays live until
///   the first layer lets go of it): that batch's data plus the largest tensor that changes size;
/// - `methodBuffers`: what the federated method adds (a top-K buffer and the like), as its caller says.
///
/// Layers allocate all of this in the first step and reuse it afterwards, and nothing in a step is
/// freed before the step ends, so with a fixed batch size the peak is the sum, reached at the end
/// of the first step. Measured (`TrainingFootprintTests`, every zoo model dense, masked and compact
/// at 5%, batches of 1 and 8): equal to the ledger's peak, byte for byte. With a smaller last batch
/// the replacements overlap a little more or less than one tensor: from 2.8% under the peak
/// (VGG-11 compact, batches of 8 then 7) to 2.1% over (LeNet-5, 8 then 1). The shared sparse
/// workspace keeps its size, so it is never replaced.
///
/// Not counted, because the ledger does not count them: labels, max-pooling winners and batch-norm
/// statistics of the batch (Swift arrays), and BLAS's internal buffers. Not predicted: tensors left
/// from an earlier use of the network at another batch size, or in another storage (a compact layer
/// made dense again keeps its sparse kernel's workspaces) until the next step replaces them, and the
/// copies `Network.applyMasks` makes while it re-lays out a weight, which it frees before training.
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
    /// Held for a moment when an epoch's last batch is smaller: that batch's data and the largest
    /// tensor a layer replaces, allocated while their full-batch versions are still live.
    public var batchChange: Int
    /// Buffers of the federated method, as given.
    public var methodBuffers: Int

    /// Creates a footprint from its parts, in bytes.
    public init(
        parameters: Int, gradients: Int, optimizer: Int, activations: Int, data: Int, batchChange: Int = 0,
        methodBuffers: Int
    ) {
        self.parameters = parameters
        self.gradients = gradients
        self.optimizer = optimizer
        self.activations = activations
        self.data = data
        self.batchChange = batchChange
        self.methodBuffers = methodBuffers
    }

    /// The sum of the parts: the predicted peak of live tensor bytes.
    public var total: Int { parameters + gradients + optimizer + activations + data + batchChange + methodBuffers }
}

extension Network {
    /// The bytes training on batches of `batch` samples will hold at its peak, from the shapes and
    /// the weights' current storage, without allocating or running anything.
    ///
    /// - Parameters:
    ///   - momentum: whether the optimizer keeps momentum buffers (SGD with momentum ≠ 0).
    ///   - methodBuffers: bytes the federated method holds beside the network, counted as given.
    ///   - samples: the samples an epoch visits, when known: with fewer than `batch` every batch
    ///     is that small, and a remainder adds `batchChange` for the smaller last batch.
    public func predictedFootprint(batch: Int, momentum: Bool, methodBuffers: Int = 0, samples: Int? = nil)
        -> TrainingFootprint
    {
        let floatBytes = MemoryLayout<Float>.stride
        var parameterBytes = 0
        var trainedBytes = 0
        var optimizedBytes = 0
        for entry in parameters {
            let parameter = entry.parameter
            let values = parameter.storedCount * floatBytes
            parameterBytes += values + (parameter.pattern?.indexBytes ?? 0)
            // A frozen parameter still gets its gradient (a supermask's effective weight), never momentum.
            if parameter.kind.isTrainable { trainedBytes += values }
            if parameter.kind.isTrainable && !parameter.isFrozen { optimizedBytes += values }
        }
        let largest = min(batch, samples ?? batch)
        let input = [largest] + sampleShape
        var batchChange = 0
        if let samples, samples > batch, samples % batch != 0 {
            // Layers replace each tensor when the shape changes, allocating the new one first; the
            // old data stays live until the first layer drops it, and other replacements overlap
            // one at a time (measured: at most this, and within 3% of the peak above it).
            let last = [samples % batch] + sampleShape
            let full = body.trainingTensors(inputShape: input) + [tensorBytes([batch, classes])]
            let small = body.trainingTensors(inputShape: last) + [tensorBytes([samples % batch, classes])]
            // Tensors of the same size at both batches (the sparse kernels' batch is rounded up) stay.
            let replaced = zip(full, small).filter { $0 != $1 }.map(\.1)
            batchChange = tensorBytes(last) + (replaced.max() ?? 0)
        }
        return TrainingFootprint(
            parameters: parameterBytes, gradients: trainedBytes, optimizer: momentum ? optimizedBytes : 0,
            activations: body.trainingBytes(inputShape: input) + sparseWorkspaceBytes(inputShape: input)
                + tensorBytes([largest, classes]),
            data: tensorBytes(input), batchChange: batchChange, methodBuffers: methodBuffers)
    }
}

extension Network {
    /// Bytes of the shared sparse workspace once training on `inputShape` has run.
    ///
    /// The largest need of each buffer over the compact convolutions. It only grows, so a smaller last batch keeps it.
    func sparseWorkspaceBytes(inputShape: [Int]) -> Int {
        var need = SparseWorkspace.Need()
        let fused = Set(body.fusedConvolutions.map(ObjectIdentifier.init))
        body.visitLayers(prefix: "", inputShape: inputShape) { _, layer, shape in
            guard let convolution = layer as? Conv2d, convolution.weight.isCompact,
                convolution.sparseWorkspace === sparseWorkspace
            else { return }
            let pooled = fused.contains(ObjectIdentifier(convolution))
            need = need.merged(
                convolution.sparseWorkspaceNeed(convolution.geometry(shape), batch: shape[1], pooled: pooled))
        }
        return need.tensorBytes.reduce(0, +)
    }
}

extension Parameter {
    /// The values stored: the kept entries when compact, else the dense count.
    var storedCount: Int { isCompact ? pattern?.count ?? denseCount : denseCount }
}
