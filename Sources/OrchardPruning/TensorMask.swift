/// The kept positions of one tensor, in a form that does not depend on how the tensor is stored.
///
/// A mask lists the flat row-major indices of the kept ("active") entries in strictly ascending
/// order. Dense and sparse weight storage can both be built from it, and two masks compare equal
/// exactly when they keep the same positions of the same shape.
public struct TensorMask: Sendable, Equatable {
    /// The shape of the masked tensor, outermost dimension first.
    public let shape: [Int]
    /// The flat row-major indices of the kept entries, strictly ascending.
    public let activeIndices: [Int32]

    /// Creates a mask from kept indices.
    /// - Precondition: `activeIndices` is strictly ascending and every index lies in `0..<elementCount`.
    public init(shape: [Int], activeIndices: [Int32]) {
        let elements = shape.reduce(1, *)
        precondition(elements <= Int(Int32.max), "a tensor of \(elements) elements cannot be indexed with Int32")
        var previous = -1
        for index in activeIndices {
            precondition(
                Int(index) > previous && Int(index) < elements,
                "mask indices must be ascending and within 0..<\(elements); got \(index) after \(previous)")
            previous = Int(index)
        }
        self.shape = shape
        self.activeIndices = activeIndices
    }

    /// Creates a mask keeping the non-zero entries of a dense 0/1 (or any) array.
    public init(shape: [Int], dense values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(shape: shape, activeIndices: values.indices.filter { values[$0] != 0 }.map { Int32($0) })
    }

    /// Creates a mask keeping the `true` entries.
    public init(shape: [Int], kept flags: [Bool]) {
        precondition(flags.count == shape.reduce(1, *), "\(flags.count) flags for shape \(shape)")
        self.init(shape: shape, activeIndices: flags.indices.filter { flags[$0] }.map { Int32($0) })
    }

    /// A mask that keeps every entry.
    public static func full(shape: [Int]) -> TensorMask {
        TensorMask(shape: shape, activeIndices: (0..<shape.reduce(1, *)).map { Int32($0) })
    }

    /// A mask that keeps nothing.
    public static func empty(shape: [Int]) -> TensorMask {
        TensorMask(shape: shape, activeIndices: [])
    }

    /// The number of kept entries.
    public var count: Int { activeIndices.count }

    /// The number of entries of the masked tensor.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The fraction of entries kept (1 for an empty tensor).
    public var density: Double { elementCount == 0 ? 1 : Double(count) / Double(elementCount) }

    /// The mask as a dense array of 1 (kept) and 0 (pruned).
    public var denseFloats: [Float] {
        var values = [Float](repeating: 0, count: elementCount)
        for index in activeIndices { values[Int(index)] = 1 }
        return values
    }

    /// The mask as a dense array of flags, `true` where kept.
    public var denseFlags: [Bool] {
        var flags = [Bool](repeating: false, count: elementCount)
        for index in activeIndices { flags[Int(index)] = true }
        return flags
    }

    /// The pruned positions, ascending (the complement of `activeIndices`).
    public var inactiveIndices: [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(elementCount - count)
        var next = 0
        for index in 0..<elementCount {
            if next < activeIndices.count && Int(activeIndices[next]) == index {
                next += 1
            } else {
                result.append(Int32(index))
            }
        }
        return result
    }

    /// Whether the entry at a flat index is kept (a binary search).
    public func contains(_ index: Int) -> Bool {
        var low = 0
        var high = activeIndices.count
        while low < high {
            let middle = (low + high) / 2
            let value = Int(activeIndices[middle])
            if value == index { return true }
            if value < index { low = middle + 1 } else { high = middle }
        }
        return false
    }

    /// Sets the pruned entries of a dense buffer of this mask's size to zero.
    public func apply(to values: UnsafeMutableBufferPointer<Float>) {
        precondition(values.count == elementCount, "a mask of \(elementCount) entries applied to \(values.count)")
        var start = 0
        for index in activeIndices {
            for position in start..<Int(index) { values[position] = 0 }
            start = Int(index) + 1
        }
        for position in start..<values.count { values[position] = 0 }
    }
}
