import OrchardTensor

/// The order in which a training loop visits samples: batches of indices, epoch after epoch.
///
/// With a random stream, every epoch (the first included) visits a fresh permutation; without
/// one, samples come in index order. The indices live in one array that is shuffled in place, and
/// batches are slices of it, so walking an epoch allocates nothing. Indices are positions in
/// `0..<count`; a client that trains on a subset passes its subset's count, or maps the positions
/// through its own index list.
///
/// ```swift
/// var order = BatchOrder(count: data.count, batchSize: 64,
///                        shuffle: RandomStream(seed: seed, purpose: "batches", client))
/// for batch in order.nextEpoch() { data.fillBatch(indices: batch, features: x, labels: y) }
/// ```
public struct BatchOrder: Sendable {
    /// The number of samples.
    public let count: Int
    /// The largest number of indices in a batch.
    public let batchSize: Int
    /// Whether an epoch leaves out its last batch when that batch would be smaller than `batchSize`.
    public let dropLast: Bool
    /// How many epochs have been started.
    public private(set) var epoch = 0

    private var random: RandomStream?
    private var order: [Int]
    private var position: Int

    /// Prepares batches of `batchSize` over `count` samples.
    /// - Parameters:
    ///   - count: The number of samples.
    ///   - batchSize: The largest batch; positive.
    ///   - shuffle: The stream that reshuffles the samples at the start of every epoch, or `nil`
    ///     to keep index order.
    ///   - dropLast: Whether to skip a final batch smaller than `batchSize`.
    public init(count: Int, batchSize: Int, shuffle: RandomStream? = nil, dropLast: Bool = false) {
        precondition(count >= 0, "BatchOrder needs a count of zero or more, not \(count)")
        precondition(batchSize > 0, "BatchOrder needs a positive batch size, not \(batchSize)")
        self.count = count
        self.batchSize = batchSize
        self.dropLast = dropLast
        random = shuffle
        order = Array(0..<count)
        position = count
    }

    /// The number of batches in one epoch.
    public var batchesPerEpoch: Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// The number of samples an epoch visits: all of them, less a dropped partial batch.
    private var samplesPerEpoch: Int { dropLast ? count - count % batchSize : count }

    /// Starts a new epoch (reshuffling if a stream was given) and returns all of its batches.
    ///
    /// The returned batches are a view of this order; they stay valid, but the next call to
    /// `nextEpoch()` or `nextBatch()` that reshuffles copies the array once if they are still held.
    public mutating func nextEpoch() -> Batches {
        startEpoch()
        position = samplesPerEpoch
        return Batches(order: order, batchSize: batchSize, count: batchesPerEpoch)
    }

    /// The next batch, starting a new epoch (and reshuffling) when the current one is used up.
    ///
    /// Useful when local training runs for a number of steps rather than whole epochs.
    /// - Precondition: an epoch has at least one batch.
    public mutating func nextBatch() -> ArraySlice<Int> {
        precondition(batchesPerEpoch > 0, "no batches: \(count) samples with batch size \(batchSize) and dropLast")
        if position >= samplesPerEpoch { startEpoch() }
        let end = min(position + batchSize, count)
        let batch = order[position..<end]
        position = end
        return batch
    }

    private mutating func startEpoch() {
        random?.shuffle(&order)
        position = 0
        epoch += 1
    }

    /// The batches of one epoch, in order.
    public struct Batches: RandomAccessCollection, Sendable {
        let order: [Int]
        let batchSize: Int
        public let count: Int

        public var startIndex: Int { 0 }
        public var endIndex: Int { count }

        /// The indices of batch `position`.
        public subscript(position: Int) -> ArraySlice<Int> {
            precondition(position >= 0 && position < count, "batch \(position) of \(count)")
            let start = position * batchSize
            return order[start..<Swift.min(start + batchSize, order.count)]
        }
    }
}
