/// Row-major Float32 storage that reports its bytes to the `MemoryLedger` for as long as it lives.
public final class TensorStorage: @unchecked Sendable {
    /// The first element; the memory is 64-byte aligned and owned by this object.
    public let base: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int
    /// What the bytes are for.
    public let role: TensorRole
    private var scope: MemoryScope?

    init(count: Int, role: TensorRole) {
        self.count = count
        self.role = role
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        scope = MemoryLedger.allocate(count * MemoryLayout<Float>.stride, role: role)
    }

    deinit {
        MemoryLedger.release(count * MemoryLayout<Float>.stride, role: role, scope: scope)
        base.deallocate()
    }

    /// Counts these bytes in the current memory scope from now on (see `MemoryScope`).
    public func countInCurrentScope() {
        scope = MemoryScope.adopt(count * MemoryLayout<Float>.stride, role: role, from: scope)
    }
}

/// A row-major Float32 tensor: a shape over shared storage.
///
/// A `Tensor` is a view, as in PyTorch: copies of the value share their storage, and writing
/// through one is seen through the others. `copy()` makes an independent tensor. Layers own the
/// tensors they return and reuse them from step to step, so a training step allocates nothing once
/// the shapes are known.
public struct Tensor: @unchecked Sendable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The memory behind the tensor.
    public let storage: TensorStorage

    /// Creates a zero-filled tensor.
    public init(zeros shape: [Int], role: TensorRole = .activation) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        storage = TensorStorage(count: shape.reduce(1, *), role: role)
    }

    /// Creates a tensor holding the given values.
    public init(shape: [Int], values: [Float], role: TensorRole = .activation) {
        self.init(zeros: shape, role: role)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: count) }
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.count }

    /// The first element.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.base }

    /// The elements as a buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: storage.base, count: storage.count)
    }

    /// The bytes this tensor's storage holds.
    public var byteCount: Int { count * MemoryLayout<Float>.stride }

    /// The elements, copied into an array.
    public var values: [Float] { Array(buffer) }

    /// The same storage seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        var view = self
        view.shape = newShape
        return view
    }

    /// An independent copy.
    public func copy(role: TensorRole? = nil) -> Tensor {
        let result = Tensor(zeros: shape, role: role ?? storage.role)
        result.data.update(from: data, count: count)
        return result
    }

    /// Reads or writes one element by flat index.
    @inlinable public subscript(index: Int) -> Float {
        get { storage.base[index] }
        nonmutating set { storage.base[index] = newValue }
    }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Copies the elements of a tensor of the same element count.
    public func assign(from other: Tensor) {
        precondition(other.count == count, "assign from \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

extension Tensor {
    /// Returns `existing` if it has the wanted shape, else a new zero tensor of that shape.
    ///
    /// Layers keep their outputs and gradients between steps; this is how they reuse them.
    public static func reusing(_ existing: Tensor?, shape: [Int], role: TensorRole = .activation)
        -> Tensor
    {
        if let existing, existing.shape == shape { return existing }
        return Tensor(zeros: shape, role: role)
    }
}
