import OrchardNN

/// The size of a run's model, and the least memory a client needs to train it.
public struct ModelFootprint: Sendable, Equatable {
    /// Every stored value: weights, biases and batch-norm statistics.
    public let stateCount: Int
    /// The values that gradients update (the state without batch-norm statistics).
    public let trainableCount: Int
    /// The peak of live tensor bytes that dense training on full batches reaches, as a client
    /// predicts it before a task (`Network.predictedFootprint`): parameters, gradients, momentum
    /// buffers, one batch and its activations; nil unless measured for a batch size.
    public let denseBatchPeak: Int?

    /// Creates a footprint from counts of values.
    public init(stateCount: Int, trainableCount: Int, denseBatchPeak: Int? = nil) {
        self.stateCount = stateCount
        self.trainableCount = trainableCount
        self.denseBatchPeak = denseBatchPeak
    }

    /// Builds `model` from the zoo for `dataset`'s samples and counts its values, and with `batch`
    /// predicts the peak of dense training on batches of that size.
    /// - Throws: `ModelError` when the model does not fit the samples (an image model on feature
    ///   vectors, an image too small for its layers).
    public static func measure(
        _ model: ModelSpec, for dataset: DatasetSpec, batch: Int? = nil, momentum: Bool = false
    ) throws -> ModelFootprint {
        let network = try ModelZoo.make(
            model.name, sampleShape: dataset.sampleShape, classes: dataset.classes, width: model.width)
        return ModelFootprint(
            stateCount: network.stateCount, trainableCount: network.trainableCount,
            denseBatchPeak: batch.map { network.predictedFootprint(batch: $0, momentum: momentum).total })
    }

    /// Bytes of the whole state as 32-bit floats: what a dense model takes on the wire or on disk.
    public var stateBytes: Int { 4 * stateCount }

    /// The least memory that training can take: the model's values, their gradients and, with
    /// momentum, the optimizer's buffers, before any activation.
    ///
    /// At `density` below 1 the trainable weights are held sparsely, each kept value with a 32-bit
    /// index, and only kept values have gradients and buffers; batch-norm statistics stay dense.
    public func trainingFloor(momentum: Bool, density: Double = 1) -> MemoryFloor {
        let bytesPerValue = 4
        if density >= 1 {
            return MemoryFloor(
                parameters: bytesPerValue * stateCount, gradients: bytesPerValue * trainableCount,
                optimizer: momentum ? bytesPerValue * trainableCount : 0)
        }
        let kept = Int((Double(trainableCount) * max(0, density)).rounded(.up))
        let indexBytes = 4
        return MemoryFloor(
            parameters: bytesPerValue * (stateCount - trainableCount) + (bytesPerValue + indexBytes) * kept,
            gradients: bytesPerValue * kept, optimizer: momentum ? bytesPerValue * kept : 0)
    }
}

/// Bytes that training needs before activations, by what holds them.
public struct MemoryFloor: Sendable, Equatable {
    /// The model's values (and their indices when sparse).
    public let parameters: Int
    /// Their gradients.
    public let gradients: Int
    /// The optimizer's momentum buffers.
    public let optimizer: Int

    /// Creates a floor from its three parts, in bytes.
    public init(parameters: Int, gradients: Int, optimizer: Int) {
        self.parameters = parameters
        self.gradients = gradients
        self.optimizer = optimizer
    }

    /// The sum of the three.
    public var total: Int { parameters + gradients + optimizer }
}
