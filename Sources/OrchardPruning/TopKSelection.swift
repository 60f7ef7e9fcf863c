/// The K largest |gradient| among a layer's pruned positions, found tile by tile in bounded memory.
///
/// The dense gradient of the layer is never held: the caller's closure computes the gradient at
/// one tile of pruned positions at a time, and a bounded min-heap keeps the best K (index,
/// gradient) pairs seen so far. The pruned positions themselves are walked from the mask's active
/// indices, so no list of them is built either. Memory is the heap (K pairs of Int32 index and
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

/// A bounded min-heap whose root is the worst of the best pairs seen so far.
private struct SelectionHeap {
    private var indices: [Int32] = []
    private var gradients: [Float] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        indices.reserveCapacity(capacity)
        gradients.reserveCapacity(capacity)
    }

    /// Whether pair a ranks before pair b: larger |g|, NaN last, then lower index.
    static func better(_ gradientA: Float, _ indexA: Int32, _ gradientB: Float, _ indexB: Int32) -> Bool {
        let keyA = gradientA.isNaN ? -Float.infinity : abs(gradientA)
        let keyB = gradientB.isNaN ? -Float.infinity : abs(gradientB)
        if keyA != keyB { return keyA > keyB }
        if gradientA.isNaN != gradientB.isNaN { return gradientB.isNaN }
        return indexA < indexB
    }

    private func worse(_ a: Int, _ b: Int) -> Bool { Self.better(gradients[b], indices[b], gradients[a], indices[a]) }

    mutating func offer(index: Int32, gradient: Float) {
        if indices.count < capacity {
            indices.append(index)
            gradients.append(gradient)
            var child = indices.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard worse(child, parent) else { break }
                swapAt(child, parent)
                child = parent
            }
        } else if Self.better(gradient, index, gradients[0], indices[0]) {
            indices[0] = index
            gradients[0] = gradient
            var parent = 0
            while true {
                let (left, right) = (2 * parent + 1, 2 * parent + 2)
                var worst = parent
                if left < indices.count && worse(left, worst) { worst = left }
                if right < indices.count && worse(right, worst) { worst = right }
                guard worst != parent else { break }
                swapAt(parent, worst)
                parent = worst
            }
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        indices.swapAt(a, b)
        gradients.swapAt(a, b)
    }

    func sortedBestFirst() -> [(index: Int32, gradient: Float)] {
        zip(indices, gradients).map { (index: $0, gradient: $1) }.sorted {
            Self.better($0.gradient, $0.index, $1.gradient, $1.index)
        }
    }
}
