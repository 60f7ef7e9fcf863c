import HeapModule

/// The K largest |gradient| among a layer's pruned positions, found tile by tile in bounded memory.
///
/// The dense gradient of the layer is never held: the caller's closure computes the gradient at
/// one tile of pruned positions at a time, and a bounded heap (swift-collections' `Heap`) keeps
/// the best K (index, gradient) pairs seen so far. The pruned positions themselves are walked from
/// the mask's active indices, so no list of them is built either. Memory is the heap (K pairs of Int32 index and
/// Float gradient, 8 bytes each) plus the tile (8 bytes per position: index and gradient).
///
/// Order: larger |g| first, then lower index; a NaN gradient ranks below every number.
public struct TopKSelection: Sendable, Equatable {
    /// The selected positions and their signed gradients, best first.
    public let entries: [(index: Int32, gradient: Float)]
    /// The positions per tile.
    public let tileCapacity: Int
    /// The bytes held at the peak: the heap's and the tile's buffers.
    public let bytesUsed: Int

    public static func == (lhs: TopKSelection, rhs: TopKSelection) -> Bool {
        lhs.tileCapacity == rhs.tileCapacity && lhs.bytesUsed == rhs.bytesUsed
            && lhs.entries.elementsEqual(rhs.entries) {
                $0.index == $1.index && $0.gradient.bitPattern == $1.gradient.bitPattern
            }
    }

    /// Bytes per heap entry and per tile position: an Int32 index and a Float gradient.
    public static let bytesPerEntry = MemoryLayout<Int32>.stride + MemoryLayout<Float>.stride

    /// The positions per tile that a byte budget leaves after a heap of `k` entries, or nil if none.
    public static func tileCapacity(budgetBytes: Int, k: Int) -> Int? {
        let capacity = (budgetBytes - max(k, 0) * bytesPerEntry) / bytesPerEntry
        return capacity >= 1 ? capacity : nil
    }

    /// The largest K that a byte budget allows with tiles of `tileCapacity` positions (0 if none).
    public static func largestK(budgetBytes: Int, tileCapacity: Int) -> Int {
        max(0, (budgetBytes - max(tileCapacity, 1) * bytesPerEntry) / bytesPerEntry)
    }

    /// Selects the `k` pruned positions of largest |gradient|.
    /// - Parameters:
    ///   - k: how many to keep; all pruned positions are returned if there are fewer.
    ///   - mask: the layer's mask; its inactive positions are the candidates.
    ///   - budgetBytes: the bytes the heap and the tile may take together.
    ///   - gradient: writes the gradient at each of the given flat positions into the buffer.
    /// - Throws: `PruningError` if the budget cannot hold the heap and a tile of one position.
    public init(
        k: Int, of mask: TensorMask, budgetBytes: Int,
        gradient: (_ positions: UnsafeBufferPointer<Int32>, _ into: UnsafeMutablePointer<Float>) -> Void
    ) throws {
        precondition(k >= 0, "K must not be negative, got \(k)")
        let prunedCount = mask.elementCount - mask.count
        let heapCapacity = min(k, prunedCount)
        guard heapCapacity > 0 else {
            // Nothing to select: no heap, no tile, no gradient asked for, whatever the budget.
            (entries, tileCapacity, bytesUsed) = ([], 0, 0)
            return
        }
        guard let budgetTile = Self.tileCapacity(budgetBytes: budgetBytes, k: heapCapacity) else {
            throw PruningError(
                "a top-\(heapCapacity) selection needs at least \((heapCapacity + 1) * Self.bytesPerEntry) bytes "
                    + "(\(Self.bytesPerEntry) per heap entry and per tile position), the budget is \(budgetBytes)")
        }
        let tile = max(1, min(budgetTile, prunedCount))
        tileCapacity = tile
        bytesUsed = (heapCapacity + tile) * Self.bytesPerEntry
        var heap = SelectionHeap(capacity: heapCapacity)
        let positions = UnsafeMutableBufferPointer<Int32>.allocate(capacity: tile)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: tile)
        defer {
            positions.deallocate()
            values.deallocate()
        }
        var nextActive = 0
        var filled = 0
        func flush() {
            gradient(UnsafeBufferPointer(rebasing: positions[0..<filled]), values)
            for slot in 0..<filled { heap.offer(index: positions[slot], gradient: values[slot]) }
            filled = 0
        }
        for index in 0..<mask.elementCount {
            if nextActive < mask.activeIndices.count && Int(mask.activeIndices[nextActive]) == index {
                nextActive += 1
                continue
            }
            positions[filled] = Int32(index)
            filled += 1
            if filled == tile { flush() }
        }
        if filled > 0 { flush() }
        entries = heap.sortedBestFirst()
    }
}

/// A gradient at a position, ordered so that a heap's minimum is the worst candidate kept.
///
/// `<` ranks a candidate after another: smaller |g| (a NaN below every number), then the higher
/// index.
private struct Candidate: Comparable {
    var index: Int32
    var gradient: Float

    static func < (lhs: Candidate, rhs: Candidate) -> Bool { rhs.ranksBefore(lhs) }

    static func == (lhs: Candidate, rhs: Candidate) -> Bool { !lhs.ranksBefore(rhs) && !rhs.ranksBefore(lhs) }

    /// Whether this candidate ranks before `other`: larger |g|, NaN last, then lower index.
    func ranksBefore(_ other: Candidate) -> Bool {
        let key = gradient.isNaN ? -Float.infinity : abs(gradient)
        let otherKey = other.gradient.isNaN ? -Float.infinity : abs(other.gradient)
        if key != otherKey { return key > otherKey }
        if gradient.isNaN != other.gradient.isNaN { return other.gradient.isNaN }
        return index < other.index
    }
}

/// The best `capacity` candidates offered, in a heap whose minimum is the worst of them.
private struct SelectionHeap {
    private var heap: Heap<Candidate>
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        heap = Heap(minimumCapacity: capacity)
    }

    mutating func offer(index: Int32, gradient: Float) {
        let candidate = Candidate(index: index, gradient: gradient)
        if heap.count < capacity {
            heap.insert(candidate)
        } else if let worst = heap.min, worst < candidate {
            _ = heap.replaceMin(with: candidate)
        }
    }

    func sortedBestFirst() -> [(index: Int32, gradient: Float)] {
        heap.unordered.sorted(by: >).map { (index: $0.index, gradient: $0.gradient) }
    }
}
