import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// How a tensor frame's bytes represent a tensor; the `TensorEncoding` enum of `docs/orchard.proto`.
///
/// Version 1 writes and reads `denseF32` only. The other cases name the sparse and
/// half-precision encodings the protocol has room for, so that a receiver can say precisely that
/// it does not support one (`WireError.Reason.unsupportedEncoding`).
public enum TensorEncoding: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    /// Every element as an IEEE 754 binary32, little-endian, row-major.
    case denseF32 = 1
    /// Every element as an IEEE 754 binary16, little-endian, row-major.
    case denseF16 = 2
    /// An occupancy bitmap, then the binary32 values of the set positions.
    case bitmapF32 = 3
    /// An occupancy bitmap, then the binary16 values of the set positions.
    case bitmapF16 = 4
    /// Delta-coded positions, then their binary32 values.
    case deltaF32 = 5
    /// Delta-coded positions, then their binary16 values.
    case deltaF16 = 6

    /// Whether this build writes and reads the encoding.
    public var isSupported: Bool { self == .denseF32 }

    /// The frame size of a dense tensor of `elements` elements, or `nil` for the sparse
    /// encodings, whose size depends on the values.
    public func denseByteLength(elements: UInt64) -> UInt64? {
        switch self {
        case .denseF32: elements.multipliedReportingOverflow(by: 4).overflow ? nil : elements * 4
        case .denseF16: elements.multipliedReportingOverflow(by: 2).overflow ? nil : elements * 2
        case .bitmapF32, .bitmapF16, .deltaF32, .deltaF16: nil
        }
    }

    /// The name used in the proto file, such as `DENSE_F32`.
    public var description: String {
        switch self {
        case .denseF32: "DENSE_F32"
        case .denseF16: "DENSE_F16"
        case .bitmapF32: "BITMAP_F32"
        case .bitmapF16: "BITMAP_F16"
        case .deltaF32: "DELTA_F32"
        case .deltaF16: "DELTA_F16"
        }
    }
}

/// A named tensor as it travels: its descriptor (name, shape, encoding) and its frame's bytes.
///
/// A frame made from a `Tensor` copies the values once into a buffer that sending does not copy
/// again; a frame that was received reads ZeroMQ's buffer in place, and `tensor(role:)` copies it
/// once into tensor storage.
public struct TensorFrame: Sendable, Equatable {
    /// The tensor's name, unique within its message, such as `conv1.weight`.
    public let name: String
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// How `payload` represents the values.
    public let encoding: TensorEncoding
    /// The frame's bytes.
    public let payload: FrameBytes

    /// Wraps bytes already checked against the shape and encoding.
    init(checkedName name: String, shape: [Int], encoding: TensorEncoding, payload: FrameBytes) {
        self.name = name
        self.shape = shape
        self.encoding = encoding
        self.payload = payload
    }

    /// Encodes a tensor densely as little-endian binary32, copying its values once.
    public init(name: String, tensor: Tensor) {
        let count = tensor.count
        let payload = FrameBytes(count: count * 4) { bytes in
            guard count > 0, let base = bytes.baseAddress else { return }
            #if _endian(little)
                memcpy(base, tensor.data, count * 4)
            #else
                let words = base.bindMemory(to: UInt32.self, capacity: count)
                for index in 0..<count { words[index] = tensor[index].bitPattern.littleEndian }
            #endif
        }
        self.init(checkedName: name, shape: tensor.shape, encoding: .denseF32, payload: payload)
    }

    /// Wraps an encoded payload after checking it against the shape and encoding.
    ///
    /// - Throws: `WireError` when a dimension is negative, the encoding is not supported, or
    ///   the payload's size is not the one the shape and encoding call for.
    public init(name: String, shape: [Int], encoding: TensorEncoding, payload: FrameBytes)
        throws(WireError)
    {
        guard encoding.isSupported else {
            throw WireError(.unsupportedEncoding(tensor: 0, name: name, encoding: encoding.rawValue))
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw WireError(.invalidField(field: "tensors.shape", problem: "negative dimension in \(shape)"))
        }
        let (elements, overflow) = shape.reduce((1, false)) { partial, extent in
            let product = partial.0.multipliedReportingOverflow(by: extent)
            return (product.partialValue, partial.1 || product.overflow)
        }
        let expected = overflow ? nil : encoding.denseByteLength(elements: UInt64(elements))
        guard let expected, expected == UInt64(payload.count) else {
            throw WireError(
                .shapeMismatch(
                    tensor: 0, name: name, byteLength: UInt64(payload.count), expected: expected ?? .max))
        }
        self.init(checkedName: name, shape: shape, encoding: encoding, payload: payload)
    }

    /// The number of elements the shape holds.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The size of the frame, in bytes.
    public var byteLength: Int { payload.count }

    /// Decodes into a new tensor of this shape, copying the frame's bytes once.
    public func tensor(role: TensorRole = .parameter) throws(WireError) -> Tensor {
        guard encoding == .denseF32 else {
            throw WireError(.unsupportedEncoding(tensor: 0, name: name, encoding: encoding.rawValue))
        }
        let result = Tensor(zeros: shape, role: role)
        try decode(into: result)
        return result
    }

    /// Decodes into an existing tensor of the same shape, allocating nothing.
    public func decode(into tensor: Tensor) throws(WireError) {
        guard tensor.shape == shape else {
            throw WireError(.tensorShapeMismatch(name: name, frame: shape, tensor: tensor.shape))
        }
        guard encoding == .denseF32 else {
            throw WireError(.unsupportedEncoding(tensor: 0, name: name, encoding: encoding.rawValue))
        }
        let count = tensor.count
        // The public initialisers and the decoder make payload.count == count * 4 hold.
        precondition(payload.count == count * 4, "tensor frame \(name) holds \(payload.count) bytes")
        payload.withUnsafeBytes { bytes in
            guard count > 0, let base = bytes.baseAddress else { return }
            #if _endian(little)
                memcpy(tensor.data, base, count * 4)
            #else
                for index in 0..<count {
                    let word = base.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                    tensor[index] = Float(bitPattern: UInt32(littleEndian: word))
                }
            #endif
        }
    }

    /// The values, decoded into an array.
    public func values() throws(WireError) -> [Float] {
        try tensor(role: .data).values
    }
}
