/// Int32 storage that reports its bytes to the `MemoryLedger` for as long as it lives.
///
/// The index arrays of sparse patterns and the offset tables of the sparse kernels live here, so
/// that `MemoryLedger.liveBytes` and `MemoryScope` count them exactly as they count tensors.
final class IndexStorage: @unchecked Sendable {
    /// The first element; the memory is 64-byte aligned and owned by this object.
    let base: UnsafeMutablePointer<Int32>
    /// The number of elements.
    let count: Int
    /// What the bytes are for.
    let role: TensorRole
    private var scope: MemoryScope?

    init(count: Int, role: TensorRole) {
        self.count = count
        self.role = role
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Int32>.stride, alignment: 64)
        base = raw.bindMemory(to: Int32.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        scope = MemoryLedger.allocate(count * MemoryLayout<Int32>.stride, role: role)
    }

    deinit {
        MemoryLedger.release(count * MemoryLayout<Int32>.stride, role: role, scope: scope)
        base.deallocate()
    }

    /// The bytes this storage holds.
    var byteCount: Int { count * MemoryLayout<Int32>.stride }

    /// Counts these bytes in the current memory scope from now on.
    func countInCurrentScope() { scope = MemoryScope.adopt(byteCount, role: role, from: scope) }

    /// Returns `existing` if it holds at least `count` elements, else new storage of that size.
    static func reusing(_ existing: IndexStorage?, count: Int, role: TensorRole) -> IndexStorage {
        if let existing, existing.count >= count { return existing }
        return IndexStorage(count: count, role: role)
    }
}

/// The kept positions of a [rows, columns] matrix in compressed sparse row (CSR) form, without values.
///
/// Row r keeps the columns `columnIndices[rowStarts[r]..<rowStarts[r + 1]]`, in ascending order. The
/// k-th kept entry in row-major order is the k-th value of any value array paired with the pattern,
/// so a pruned weight is a pattern (shared, immutable) plus `count` floats. The index arrays are
/// counted by the `MemoryLedger` as `.parameter` bytes: they are part of the model's footprint.
public final class SparsePattern: @unchecked Sendable {
    /// The rows of the dense matrix.
    public let rows: Int
    /// The columns of the dense matrix.
    public let columns: Int
    /// The number of kept entries.
    public let count: Int
    /// Where each row's entries start in `columnIndices`; `rows + 1` entries, the last is `count`.
    public var rowStarts: UnsafePointer<Int32> { UnsafePointer(rowStorage.base) }
    /// The column of each kept entry, row by row, ascending within a row; `count` entries.
    public var columnIndices: UnsafePointer<Int32> { UnsafePointer(columnStorage.base) }

    private let rowStorage: IndexStorage
    private let columnStorage: IndexStorage

    /// Creates the pattern keeping the given flat positions (`row * columns + column`).
    ///
    /// The positions must be strictly ascending and inside the matrix.
    public init(rows: Int, columns: Int, flatIndices: [Int32]) {
        precondition(rows >= 0 && columns >= 0, "SparsePattern needs non-negative sizes, got \(rows)x\(columns)")
        precondition(
            rows * columns <= Int(Int32.max), "SparsePattern of \(rows)x\(columns) does not fit Int32 flat indices")
        self.rows = rows
        self.columns = columns
        count = flatIndices.count
        rowStorage = IndexStorage(count: rows + 1, role: .parameter)
        columnStorage = IndexStorage(count: count, role: .parameter)
        let starts = rowStorage.base
        let indices = columnStorage.base
        var previous = -1
        var row = 0
        for (entry, flat) in flatIndices.enumerated() {
            let position = Int(flat)
            precondition(
                position > previous && position < rows * columns,
                "SparsePattern flat indices must be strictly ascending and below \(rows * columns); entry \(entry) is "
                    + "\(position) after \(previous)")
            previous = position
            let entryRow = position / columns
            while row < entryRow {
                row += 1
                starts[row] = Int32(entry)
            }
            indices[entry] = Int32(position - entryRow * columns)
        }
        while row < rows {
            row += 1
            starts[row] = Int32(count)
        }
    }

    /// Creates the pattern keeping the nonzero positions of a dense row-major [rows, columns] mask.
    public convenience init(rows: Int, columns: Int, mask: UnsafePointer<Float>) {
        var kept: [Int32] = []
        for position in 0..<(rows * columns) where mask[position] != 0 { kept.append(Int32(position)) }
        self.init(rows: rows, columns: columns, flatIndices: kept)
    }

    /// The kept positions as flat indices (`row * columns + column`), ascending.
    public var flatIndices: [Int32] {
        var result = [Int32]()
        result.reserveCapacity(count)
        for row in 0..<rows {
            for entry in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                result.append(Int32(row * columns) + columnIndices[entry])
            }
        }
        return result
    }

    /// The fraction of positions kept (zero for an empty matrix).
    public var density: Double { rows * columns == 0 ? 0 : Double(count) / Double(rows * columns) }

    /// Counts the index arrays in the current memory scope from now on (see `MemoryScope`).
    public func countInCurrentScope() {
        rowStorage.countInCurrentScope()
        columnStorage.countInCurrentScope()
    }

    /// The bytes of the index arrays.
    public var indexBytes: Int { rowStorage.byteCount + columnStorage.byteCount }

    /// Writes `values` (one per kept entry) into a dense row-major matrix that is zero elsewhere.
    public func scatter(_ values: UnsafePointer<Float>, into dense: UnsafeMutablePointer<Float>) {
        dense.update(repeating: 0, count: rows * columns)
        for row in 0..<rows {
            let line = dense + row * columns
            for entry in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                line[Int(columnIndices[entry])] = values[entry]
            }
        }
    }

    /// Reads the kept entries of a dense row-major matrix into `values`, in entry order.
    public func gather(from dense: UnsafePointer<Float>, into values: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let line = dense + row * columns
            for entry in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                values[entry] = line[Int(columnIndices[entry])]
            }
        }
    }
}
