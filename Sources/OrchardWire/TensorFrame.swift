import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// How a tensor frame's bytes represent a tensor; the `TensorEncoding` enum of `Protos/orchard.proto`.
///
/// `docs/protocol.md` section 2 gives each layout byte by byte. Senders normally let
/// `TensorFrame(name:payload:precision:)` pick the cheapest encoding of a `TensorPayload`.
public enum TensorEncoding: UInt32, CaseIterable, Sendable, CustomStringConvertible {
    /// Every element as an IEEE 754 binary32, little-endian, row-major.
    case denseF32 = 1
    /// Every element as an IEEE 754 binary16, little-endian, row-major.
    case denseF16 = 2
    /// An occupancy bitmap, then the binary32 values of the set positions.
    case bitmapF32 = 3
    /// An occupancy bitmap, then the binary16 values of the set positions.
    case bitmapF16 = 4
    /// Rice-coded gaps between the kept positions, then their binary32 values.
    case deltaF32 = 5
    /// Rice-coded gaps between the kept positions, then their binary16 values.
    case deltaF16 = 6
    /// An occupancy bitmap alone: a mask.
    case maskBitmap = 7
    /// Rice-coded gaps between the kept positions alone: a mask.
    case maskDelta = 8
    /// No bytes: the mask the receiver holds from an earlier round still holds.
    case maskUnchanged = 9

    /// Whether this build writes and reads the encoding; every named encoding is, and only
    /// numbers outside the enum are rejected with `WireError.Reason.unsupportedEncoding`.
    public var isSupported: Bool { true }

    /// The frame size of a dense tensor of `elements` elements, or `nil` for the sparse and mask
    /// encodings, whose size depends on the positions.
    public func denseByteLength(elements: UInt64) -> UInt64? {
        switch self {
        case .denseF32: elements.multipliedReportingOverflow(by: 4).overflow ? nil : elements * 4
        case .denseF16: elements.multipliedReportingOverflow(by: 2).overflow ? nil : elements * 2
        case .bitmapF32, .bitmapF16, .deltaF32, .deltaF16, .maskBitmap, .maskDelta, .maskUnchanged: nil
        }
    }

    /// The bytes of one value: 4 for binary32, 2 for binary16, `nil` for the masks.
    public var valueByteCount: Int? {
        switch self {
        case .denseF32, .bitmapF32, .deltaF32: 4
        case .denseF16, .bitmapF16, .deltaF16: 2
        case .maskBitmap, .maskDelta, .maskUnchanged: nil
        }
    }

    /// Whether the frame holds every element, rather than kept positions.
    public var isDense: Bool { self == .denseF32 || self == .denseF16 }

    /// Whether the frame holds a mask: positions without values.
    public var isMask: Bool { self == .maskBitmap || self == .maskDelta || self == .maskUnchanged }

    /// The name used in the proto file, such as `DENSE_F32`.
    public var description: String {
        switch self {
        case .denseF32: "DENSE_F32"
        case .denseF16: "DENSE_F16"
        case .bitmapF32: "BITMAP_F32"
        case .bitmapF16: "BITMAP_F16"
        case .deltaF32: "DELTA_F32"
        case .deltaF16: "DELTA_F16"
        case .maskBitmap: "MASK_BITMAP"
        case .maskDelta: "MASK_DELTA"
        case .maskUnchanged: "MASK_UNCHANGED"
        }
    }
}

/// A named tensor as it travels: its descriptor (name, shape, encoding) and its frame's bytes.
///
/// A frame made from a `Tensor` copies the values once into a buffer that sending does not copy
/// again; a frame that was received reads ZeroMQ's buffer in place, and `tensor(role:)` copies it
/// once into tensor storage. Every frame's bytes have been checked against its shape and encoding,
/// so decoding a frame fails only for reasons of the receiver's (a tensor of another shape, a mask
/// it does not hold).
public struct TensorFrame: Sendable, Equatable {
    /// The tensor's name, unique within its message, such as `conv1.weight`.
    public let name: String
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// How `payload` represents the values.
    public let encoding: TensorEncoding
    /// The frame's bytes.
    public let payload: FrameBytes
    /// The positions the frame keeps: every element for a dense frame, the kept ones for a sparse
    /// or mask frame, `nil` for `maskUnchanged`, which names a mask without sending it.
    public let keptCount: Int?
    /// For `maskUnchanged`, the round whose mask still holds; `nil` for every other encoding.
    public let sinceRound: Int?
    /// For `maskUnchanged`, the held mask's `MaskDigest` (0 when the sender did not state it);
    /// `nil` for every other encoding.
    public let maskDigest: UInt64?

    /// Wraps bytes already checked against the shape and encoding.
    init(
        checkedName name: String, shape: [Int], encoding: TensorEncoding, payload: FrameBytes, keptCount: Int?,
        sinceRound: Int? = nil, maskDigest: UInt64? = nil
    ) {
        self.name = name
        self.shape = shape
        self.encoding = encoding
        self.payload = payload
        self.keptCount = keptCount
        self.sinceRound = sinceRound
        self.maskDigest = sinceRound == nil ? nil : (maskDigest ?? 0)
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
        self.init(checkedName: name, shape: tensor.shape, encoding: .denseF32, payload: payload, keptCount: count)
    }

    /// Wraps an encoded payload after checking it against the shape and encoding.
    ///
    /// `maskUnchanged` frames carry their round outside the payload: make them with
    /// `init(name:payload:precision:)` and `TensorPayload.maskUnchanged`.
    ///
    /// - Throws: `WireError` when a dimension is negative, the encoding is `maskUnchanged`, or the
    ///   payload is not what the shape and encoding call for (`docs/protocol.md` section 2).
    public init(name: String, shape: [Int], encoding: TensorEncoding, payload: FrameBytes)
        throws(WireError)
    {
        guard encoding != .maskUnchanged else {
            throw WireError(
                .invalidField(
                    field: "tensors.encoding", problem: "MASK_UNCHANGED frames come from TensorPayload.maskUnchanged"))
        }
        let elements = try Self.elementCount(shape)
        try self.init(
            validatingName: name, shape: shape, elements: elements, encoding: encoding, payload: payload,
            sinceRound: nil, tensor: 0)
    }

    /// Checks a payload against its shape and encoding, walking a sparse frame's positions, and
    /// wraps it; errors name tensor `index` of its message.
    init(
        validatingName name: String, shape: [Int], elements: Int, encoding: TensorEncoding, payload: FrameBytes,
        sinceRound: Int?, maskDigest: UInt64? = nil, tensor index: Int
    ) throws(WireError) {
        let shownName = MessageCodec.clipped(name)
        func malformed(_ problem: String) -> WireError {
            WireError(.malformedTensor(tensor: index, name: shownName, problem: problem))
        }
        guard (encoding == .maskUnchanged) == (sinceRound != nil) else {
            throw malformed("since_round is for MASK_UNCHANGED frames only")
        }
        var kept: Int? = elements
        if let expected = encoding.denseByteLength(elements: UInt64(elements)) {
            guard expected == UInt64(payload.count) else {
                throw WireError(
                    .shapeMismatch(
                        tensor: index, name: shownName, byteLength: UInt64(payload.count), expected: expected))
            }
        } else if encoding == .maskUnchanged {
            guard payload.count == 0 else { throw malformed("MASK_UNCHANGED frame of \(payload.count) bytes, not 0") }
            kept = nil
        } else {
            kept = try payload.withUnsafeBytes { bytes throws(WireError) -> Int in
                do throws(FrameProblem) {
                    let layout = try SparseLayout(encoding: encoding, elements: elements, bytes: bytes)
                    if !layout.isBitmap { try layout.forEachPosition(bytes) { _ in } }
                    return layout.count
                } catch {
                    throw malformed(error.text)
                }
            }
        }
        self.init(
            checkedName: name, shape: shape, encoding: encoding, payload: payload, keptCount: kept,
            sinceRound: sinceRound, maskDigest: maskDigest)
    }

    /// The product of a shape, checked for negative dimensions and overflow.
    static func elementCount(_ shape: [Int]) throws(WireError) -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw WireError(.invalidField(field: "tensors.shape", problem: "negative dimension in \(shape)"))
        }
        var product = 1
        for extent in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw WireError(
                    .invalidField(field: "tensors.shape", problem: "\(shape) holds more than Int.max elements"))
            }
            product = next
        }
        return product
    }

    /// The number of elements the shape holds.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The size of the frame, in bytes.
    public var byteLength: Int { payload.count }

    /// Decodes into a new tensor of this shape, copying the frame's bytes once.
    ///
    /// A sparse frame gives zeros at the positions it does not keep; a mask gives ones at its kept
    /// positions and zeros elsewhere.
    ///
    /// - Throws: `WireError` for a `maskUnchanged` frame, which only names a mask the receiver
    ///   holds: resolve it with `decodedPayload()` instead.
    public func tensor(role: TensorRole = .parameter) throws(WireError) -> Tensor {
        if let sinceRound {
            throw WireError(.unresolvedMask(name: name, sinceRound: sinceRound))
        }
        let result = Tensor(zeros: shape, role: role)
        try decode(into: result)
        return result
    }

    /// Decodes into an existing tensor of the same shape, allocating nothing; as `tensor(role:)`.
    public func decode(into tensor: Tensor) throws(WireError) {
        guard tensor.shape == shape else {
            throw WireError(.tensorShapeMismatch(name: name, frame: shape, tensor: tensor.shape))
        }
        let count = tensor.count
        switch encoding {
        case .denseF32:
            // The initialisers and the decoder make payload.count == count * 4 hold.
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
        case .denseF16:
            precondition(payload.count == count * 2, "tensor frame \(name) holds \(payload.count) bytes")
            payload.withUnsafeBytes { bytes in
                for index in 0..<count {
                    let bits = bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
                    tensor[index] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
                }
            }
        case .maskUnchanged:
            throw WireError(.unresolvedMask(name: name, sinceRound: sinceRound ?? 0))
        case .bitmapF32, .bitmapF16, .deltaF32, .deltaF16, .maskBitmap, .maskDelta:
            if count > 0 { memset(tensor.data, 0, count * 4) }
            let isMask = encoding.isMask
            try forEachKept { ordinal, position, bytes, layout in
                tensor[position] = isMask ? 1 : layout.value(bytes, ordinal: ordinal)
            }
        }
    }

    /// The values, decoded into an array.
    public func values() throws(WireError) -> [Float] {
        try tensor(role: .data).values
    }
}
