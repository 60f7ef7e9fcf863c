import OrchardPayload
import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

extension TensorFrame {
    /// Encodes a payload in its cheapest encoding, writing values at `precision`.
    ///
    /// * `.dense`: `DENSE_F32`, or `DENSE_F16` at `.float16`.
    /// * `.sparse`: values plus the smaller of a bitmap and Rice-coded gaps (`BITMAP_*` or
    ///   `DELTA_*`); when every position is kept, the dense encoding, which is then smallest.
    /// * `.mask`: the smaller of `MASK_BITMAP` and `MASK_DELTA`.
    /// * `.maskUnchanged`: `MASK_UNCHANGED`, an empty frame.
    ///
    /// Ties go to the bitmap, which is quicker to read.
    ///
    /// - Throws: `WireError` when the shape has a negative dimension, the indices are not
    ///   strictly ascending below the element count, the values do not match the indices one for
    ///   one, a sparse shape holds more than 2^31 elements, or the round is outside 0...2^32-1.
    public init(name: String, payload content: TensorPayload, precision: ValuePrecision = .float32)
        throws(WireError)
    {
        func invalid(_ problem: String) -> WireError {
            WireError(.malformedTensor(tensor: 0, name: MessageCodec.clipped(name), problem: problem))
        }
        let valueBytes = precision == .float16 ? 2 : 4
        switch content {
        case .dense(let tensor):
            if precision == .float32 {
                self.init(name: name, tensor: tensor)
            } else {
                self.init(halfName: name, shape: tensor.shape, values: UnsafeBufferPointer(tensor.buffer))
            }
        case .sparse(let shape, let indices, let values):
            let elements = try Self.elementCount(shape)
            guard indices.count == values.count else {
                throw invalid("\(indices.count) indices but \(values.count) values")
            }
            if let problem = Self.positionProblem(indices, elements: elements) { throw invalid(problem) }
            if indices.count == elements {
                // Every position kept: the indices are 0..<N, so the values are the dense tensor.
                if precision == .float32 {
                    self.init(name: name, tensor: Tensor(shape: shape, values: values))
                } else {
                    let half = values.withUnsafeBufferPointer { Self(halfName: name, shape: shape, values: $0) }
                    self = half
                }
                return
            }
            let choice = SparseLayout.cheapest(
                positions: indices, elements: elements, valueBytes: valueBytes, mask: false)
            let bytes = SparseLayout.write(positions: indices, values: values, elements: elements, choice: choice)
            self.init(
                checkedName: name, shape: shape, encoding: choice.encoding, payload: bytes, keptCount: indices.count)
        case .mask(let shape, let indices):
            let elements = try Self.elementCount(shape)
            if let problem = Self.positionProblem(indices, elements: elements) { throw invalid(problem) }
            let choice = SparseLayout.cheapest(positions: indices, elements: elements, valueBytes: 0, mask: true)
            let bytes = SparseLayout.write(positions: indices, values: nil, elements: elements, choice: choice)
            self.init(
                checkedName: name, shape: shape, encoding: choice.encoding, payload: bytes, keptCount: indices.count)
        case .maskUnchanged(let shape, let sinceRound, let digest):
            _ = try Self.elementCount(shape)
            guard sinceRound >= 0, sinceRound <= Int(UInt32.max) else {
                throw invalid("round \(sinceRound) is outside 0...\(UInt32.max)")
            }
            self.init(
                checkedName: name, shape: shape, encoding: .maskUnchanged, payload: FrameBytes([]), keptCount: nil,
                sinceRound: sinceRound, maskDigest: digest)
        }
    }

    /// Reads the frame back into the payload it carries.
    ///
    /// Dense frames (`DENSE_F32`, `DENSE_F16`) give `.dense`, sparse frames `.sparse`, masks
    /// `.mask` and `MASK_UNCHANGED` `.maskUnchanged`, which the receiver resolves against the mask
    /// it holds from that round. Binary16 values come back as the binary32 values they stand for.
    public func decodedPayload(role: TensorRole = .parameter) throws(WireError) -> TensorPayload {
        switch encoding {
        case .denseF32, .denseF16:
            return .dense(try tensor(role: role))
        case .maskUnchanged:
            return .maskUnchanged(shape: shape, sinceRound: sinceRound ?? 0, digest: maskDigest ?? 0)
        case .bitmapF32, .bitmapF16, .deltaF32, .deltaF16, .maskBitmap, .maskDelta:
            // keptCount was checked against the frame's size when the frame was made or received.
            let count = keptCount ?? 0
            let isMask = encoding.isMask
            var indices: [Int32] = []
            indices.reserveCapacity(count)
            var values: [Float] = []
            if !isMask { values.reserveCapacity(count) }
            try forEachKept { ordinal, position, bytes, layout in
                indices.append(Int32(truncatingIfNeeded: position))
                if !isMask { values.append(layout.value(bytes, ordinal: ordinal)) }
            }
            return isMask
                ? .mask(shape: shape, indices: indices) : .sparse(shape: shape, indices: indices, values: values)
        }
    }

    /// Calls `body` with the ordinal and position of each kept position of a sparse or mask frame,
    /// the frame's bytes and its layout.
    func forEachKept(_ body: (Int, Int, UnsafeRawBufferPointer, SparseLayout) -> Void) throws(WireError) {
        let elements = elementCount
        try payload.withUnsafeBytes { bytes throws(WireError) in
            do throws(FrameProblem) {
                let layout = try SparseLayout(encoding: encoding, elements: elements, bytes: bytes)
                var ordinal = 0
                try layout.forEachPosition(bytes) { position in
                    body(ordinal, position, bytes, layout)
                    ordinal += 1
                }
            } catch {
                // Frames are checked when made or received, so this needs a frame built around
                // the checks; it is reported rather than trusted.
                throw WireError(.malformedTensor(tensor: 0, name: MessageCodec.clipped(name), problem: error.text))
            }
        }
    }

    /// A `DENSE_F16` frame of the values, rounded to nearest binary16 with ties to even.
    private init(halfName name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        let count = values.count
        let payload = FrameBytes(count: count * 2) { bytes in
            for index in 0..<count {
                bytes.storeBytes(
                    of: Float16(values[index]).bitPattern.littleEndian, toByteOffset: index * 2, as: UInt16.self)
            }
        }
        self.init(checkedName: name, shape: shape, encoding: .denseF16, payload: payload, keptCount: count)
    }

    /// What is wrong with positions for a shape of `elements` elements, or `nil` when they are
    /// strictly ascending, at least 0 and below `elements` (itself at most 2^31).
    private static func positionProblem(_ indices: [Int32], elements: Int) -> String? {
        guard elements <= SparseLayout.maxElements else {
            return "\(elements) elements; sparse and mask frames hold at most 2^31"
        }
        var previous = -1
        for (ordinal, index) in indices.enumerated() {
            let position = Int(index)
            guard position > previous else {
                return "index \(position) at \(ordinal) is not above the one before it (\(previous))"
            }
            guard position < elements else { return "index \(position) at \(ordinal) is not below \(elements)" }
            previous = position
        }
        return nil
    }
}
