import OrchardData
import OrchardTensor

/// The labelled batches a data-driven criterion (SNIP, GraSP) scores on.
public struct ScoringBatches: Sendable {
    /// Inputs [N, sample...] and their labels, one entry per batch.
    public let batches: [(input: Tensor, labels: [Int32])]

    /// One batch of given inputs [N, sample...] and labels.
    public init(input: Tensor, labels: [Int32]) {
        precondition(input.shape.first == labels.count, "\(labels.count) labels for inputs \(input.shape)")
        batches = [(input, labels)]
    }

    /// The samples of a data set (or those at `indices`, in order), in batches of `batchSize`.
    public init(_ dataset: Dataset, batchSize: Int = 64, indices: [Int]? = nil) {
        precondition(batchSize > 0, "batch size \(batchSize)")
        let chosen = indices ?? Array(0..<dataset.count)
        var batches: [(input: Tensor, labels: [Int32])] = []
        for first in stride(from: 0, to: chosen.count, by: batchSize) {
            let slice = chosen[first..<min(first + batchSize, chosen.count)]
            let input = Tensor(zeros: [slice.count] + dataset.sampleShape, role: .data)
            var labels = [Int32](repeating: 0, count: slice.count)
            labels.withUnsafeMutableBufferPointer {
                dataset.fillBatch(indices: slice, features: input.data, labels: $0.baseAddress!)
            }
            batches.append((input, labels))
        }
        self.batches = batches
    }

    /// The number of samples over all batches.
    public var sampleCount: Int { batches.reduce(0) { $0 + $1.labels.count } }
}
