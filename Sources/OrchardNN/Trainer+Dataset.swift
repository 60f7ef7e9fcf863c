import OrchardData
import OrchardTensor

/// Loss and accuracy over some samples.
public struct EpochSummary: Sendable {
    public var samples = 0
    public var lossSum: Double = 0
    public var correct = 0

    public init() {}

    public var loss: Double { samples > 0 ? lossSum / Double(samples) : 0 }
    public var accuracy: Double { samples > 0 ? Double(correct) / Double(samples) : 0 }

    mutating func add(loss: Float, correct: Int, samples: Int) {
        self.samples += samples
        lossSum += Double(loss) * Double(samples)
        self.correct += correct
    }
}

extension Trainer {
    /// Trains one epoch over `data` in the order `order` gives, reporting after every batch.
    ///
    /// `order` counts positions in `0..<data.count`; it keeps its shuffling stream between epochs.
    public func trainEpoch(
        on data: Dataset, order: inout BatchOrder,
        progress: (_ batch: Int, _ batches: Int, _ sofar: EpochSummary) -> Void = { _, _, _ in }
    ) -> EpochSummary {
        precondition(order.count == data.count, "batch order over \(order.count) samples for \(data.count)")
        var summary = EpochSummary()
        var batches = BatchBuffers(sampleShape: data.sampleShape)
        let epoch = order.nextEpoch()
        for (number, indices) in epoch.enumerated() {
            let (input, labels) = batches.fill(from: data, indices: indices)
            let result = labels.withUnsafeBufferPointer { step(input, labels: $0.baseAddress!) }
            summary.add(loss: result.loss, correct: result.correct, samples: indices.count)
            progress(number + 1, epoch.count, summary)
        }
        return summary
    }

    /// Loss and accuracy of the network on every sample of `data`, in evaluation mode.
    public func evaluate(on data: Dataset, batchSize: Int = 256) -> EpochSummary {
        var summary = EpochSummary()
        var batches = BatchBuffers(sampleShape: data.sampleShape)
        for first in stride(from: 0, to: data.count, by: batchSize) {
            let indices = first..<min(first + batchSize, data.count)
            let (input, labels) = batches.fill(from: data, indices: indices)
            let result = labels.withUnsafeBufferPointer { evaluate(input, labels: $0.baseAddress!) }
            summary.add(loss: result.loss, correct: result.correct, samples: indices.count)
        }
        return summary
    }
}

/// The input tensor and label array of a batch, reused while the batch size stays the same.
struct BatchBuffers {
    let sampleShape: [Int]
    private var input: Tensor?
    private var labels: [Int32] = []

    init(sampleShape: [Int]) { self.sampleShape = sampleShape }

    mutating func fill<C: Collection<Int>>(from data: Dataset, indices: C) -> (Tensor, [Int32]) {
        let input = Tensor.reusing(self.input, shape: [indices.count] + sampleShape, role: .data)
        self.input = input
        if labels.count != indices.count { labels = Array(repeating: 0, count: indices.count) }
        labels.withUnsafeMutableBufferPointer {
            data.fillBatch(indices: indices, features: input.data, labels: $0.baseAddress!)
        }
        return (input, labels)
    }
}
