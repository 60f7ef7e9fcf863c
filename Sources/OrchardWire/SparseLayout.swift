#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// What is wrong with a sparse or mask frame's bytes; the caller names the tensor.
struct FrameProblem: Error {
    let text: String

    init(_ text: String) { self.text = text }
}

/// The parts of a sparse or mask frame (`BITMAP_*`, `DELTA_*`, `MASK_BITMAP`, `MASK_DELTA`), found
/// and checked against the frame's size before anything is allocated.
///
/// `docs/protocol.md` section 2 gives the layouts: positions (a bitmap of `ceil(N / 8)` bytes, or
/// a 5-byte header of the kept count and the Rice parameter followed by the Rice stream of the
/// gaps), then, except in a mask, the kept positions' values.
struct SparseLayout {
    /// The most elements a sparse or mask frame can have: its positions are Int32s.
    static let maxElements = Int(Int32.max) + 1
    /// The delta header: the kept count (uint32, little-endian), then the Rice parameter (uint8).
    static let deltaHeaderBytes = 5

    let encoding: TensorEncoding
    /// The elements of the dense shape, N.
    let elements: Int
    /// The number of kept positions.
    let count: Int
    /// The Rice parameter of a delta layout; 0 for a bitmap.
    let riceParameter: Int
    /// Where the bitmap or the Rice stream starts and ends.
    let positionsStart: Int
    let positionsEnd: Int
    /// Where the values start; they run to the end of the frame.
    var valuesStart: Int { positionsEnd }

    /// Whether the positions are a bitmap rather than Rice-coded gaps.
    var isBitmap: Bool { encoding == .bitmapF32 || encoding == .bitmapF16 || encoding == .maskBitmap }

    static func bitmapByteCount(elements: Int) -> Int { elements / 8 + (elements % 8 == 0 ? 0 : 1) }

    /// Reads and checks the lengths, the header and (for a bitmap, whose count is its population)
    /// the bitmap; the Rice stream is checked by `forEachPosition`.
    init(encoding: TensorEncoding, elements: Int, bytes: UnsafeRawBufferPointer) throws(FrameProblem) {
        guard elements <= Self.maxElements else {
            throw FrameProblem("\(elements) elements; sparse and mask frames hold at most 2^31")
        }
        self.encoding = encoding
        self.elements = elements
        let valueBytes = encoding.valueByteCount ?? 0
        let length = bytes.count
        positionsStart = 0
        switch encoding {
        case .bitmapF32, .bitmapF16, .maskBitmap:
            let bitmapBytes = Self.bitmapByteCount(elements: elements)
            guard length >= bitmapBytes else {
                throw FrameProblem("\(length) bytes, fewer than the bitmap's \(bitmapBytes) for \(elements) elements")
            }
            let population = try Self.population(bytes, bitmapBytes: bitmapBytes, elements: elements)
            let valuesLength = length - bitmapBytes
            guard valuesLength == population * valueBytes else {
                throw FrameProblem(
                    "bitmap sets \(population) positions, so \(population * valueBytes) bytes of values should "
                        + "follow it, but \(valuesLength) do")
            }
            count = population
            riceParameter = 0
            positionsEnd = bitmapBytes
        case .deltaF32, .deltaF16, .maskDelta:
            guard length >= Self.deltaHeaderBytes else {
                throw FrameProblem("\(length) bytes, fewer than the \(Self.deltaHeaderBytes)-byte delta header")
            }
            let declared = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
            let parameter = Int(bytes[4])
            guard declared <= elements else {
                throw FrameProblem("kept count \(declared), more than the \(elements) elements")
            }
            guard parameter <= RiceCoding.maxParameter else {
                throw FrameProblem("Rice parameter \(parameter), more than \(RiceCoding.maxParameter)")
            }
            // Both products are below 2^31 · 33, far from overflowing.
            let valuesLength = declared * valueBytes
            guard valuesLength <= length - Self.deltaHeaderBytes else {
                throw FrameProblem(
                    "kept count \(declared) needs \(valuesLength) bytes of values, more than the frame holds")
            }
            let streamBytes = length - Self.deltaHeaderBytes - valuesLength
            if declared == 0 || declared == elements {
                // Nothing or everything kept: the positions are implied, no stream is sent.
                guard parameter == 0, streamBytes == 0 else {
                    throw FrameProblem(
                        "kept count \(declared) of \(elements) takes no Rice stream and parameter 0, but has "
                            + "\(streamBytes) stream bytes and parameter \(parameter)")
                }
            } else {
                // Each code takes at least k + 1 bits, so the stream's size bounds the count.
                guard declared * (parameter + 1) <= streamBytes * 8 else {
                    throw FrameProblem(
                        "kept count \(declared) with Rice parameter \(parameter) needs at least "
                            + "\(declared * (parameter + 1)) bits, but the stream has \(streamBytes * 8)")
                }
            }
            count = declared
            riceParameter = parameter
            positionsEnd = Self.deltaHeaderBytes + streamBytes
        case .denseF32, .denseF16, .maskUnchanged:
            preconditionFailure("\(encoding) has no sparse layout")
        }
    }

    /// Calls `visit` with each kept position in ascending order, after checking it; the Rice stream
    /// must hold exactly `count` codes, then at most 7 zero bits of padding.
    func forEachPosition(_ bytes: UnsafeRawBufferPointer, _ visit: (Int) -> Void) throws(FrameProblem) {
        if isBitmap {
            Self.forEachSetBit(bytes, bitmapBytes: positionsEnd, visit)
            return
        }
        if count == 0 { return }
        if count == elements {
            for position in 0..<elements { visit(position) }
            return
        }
        var reader = BitReader(bytes, start: positionsStart + Self.deltaHeaderBytes, end: positionsEnd)
        var previous = -1
        for ordinal in 0..<count {
            // The gap may take the position up to the last element and no further.
            let room = elements - 1 - (previous + 1)
            guard let gap = reader.readRice(parameter: riceParameter, maxQuotient: room >> riceParameter) else {
                throw FrameProblem("Rice code \(ordinal) of \(count) is cut off or passes the last element")
            }
            guard gap <= room else {
                throw FrameProblem("position \(previous + 1 + gap) (code \(ordinal)) is not below \(elements)")
            }
            previous += 1 + gap
            visit(previous)
        }
        guard reader.isAtZeroPadding else {
            throw FrameProblem("the Rice stream holds more than \(count) codes and zero padding")
        }
    }

    /// The value at `ordinal` (0-based among the kept positions).
    func value(_ bytes: UnsafeRawBufferPointer, ordinal: Int) -> Float {
        switch encoding {
        case .bitmapF16, .deltaF16:
            let bits = bytes.loadUnaligned(fromByteOffset: valuesStart + ordinal * 2, as: UInt16.self)
            return Float(Float16(bitPattern: UInt16(littleEndian: bits)))
        default:
            let bits = bytes.loadUnaligned(fromByteOffset: valuesStart + ordinal * 4, as: UInt32.self)
            return Float(bitPattern: UInt32(littleEndian: bits))
        }
    }

    /// The set bits of a bitmap, after checking that its padding bits (positions N and up) are zero.
    private static func population(_ bytes: UnsafeRawBufferPointer, bitmapBytes: Int, elements: Int)
        throws(FrameProblem) -> Int
    {
        var total = 0
        var offset = 0
        while offset + 8 <= bitmapBytes {
            total += bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).nonzeroBitCount
            offset += 8
        }
        while offset < bitmapBytes {
            total += bytes[offset].nonzeroBitCount
            offset += 1
        }
        let usedBits = elements % 8
        if usedBits != 0, bytes[bitmapBytes - 1] >> UInt8(usedBits) != 0 {
            throw FrameProblem("bitmap padding bits past element \(elements) are not zero")
        }
        return total
    }

    private static func forEachSetBit(_ bytes: UnsafeRawBufferPointer, bitmapBytes: Int, _ visit: (Int) -> Void) {
        var offset = 0
        while offset < bitmapBytes {
            let width = min(8, bitmapBytes - offset)
            var word: UInt64 = 0
            for byte in 0..<width { word |= UInt64(bytes[offset + byte]) << UInt64(byte * 8) }
            while word != 0 {
                visit(offset * 8 + word.trailingZeroBitCount)
                word &= word - 1
            }
            offset += width
        }
    }
}

// MARK: Writing

extension SparseLayout {
    /// The cheapest layout of `positions` (checked by the caller: ascending, below `elements`) with
    /// `valueBytes` bytes per value (0 for a mask), as the encoding and the frame size.
    static func cheapest(positions: [Int32], elements: Int, valueBytes: Int, mask: Bool)
        -> (encoding: TensorEncoding, riceParameter: Int, riceBits: Int, byteCount: Int)
    {
        let count = positions.count
        let (parameter, bits) =
            count == 0 || count == elements ? (0, 0) : RiceCoding.parameter(positions)
        let valuesLength = count * valueBytes
        let delta = deltaHeaderBytes + bits / 8 + (bits % 8 == 0 ? 0 : 1) + valuesLength
        let bitmap = bitmapByteCount(elements: elements) + valuesLength
        let halfValues = valueBytes == 2
        if bitmap <= delta {
            return (mask ? .maskBitmap : halfValues ? .bitmapF16 : .bitmapF32, 0, 0, bitmap)
        }
        return (mask ? .maskDelta : halfValues ? .deltaF16 : .deltaF32, parameter, bits, delta)
    }

    /// Writes a sparse or mask frame in the layout `cheapest` chose.
    static func write(
        positions: [Int32], values: [Float]?, elements: Int,
        choice: (encoding: TensorEncoding, riceParameter: Int, riceBits: Int, byteCount: Int)
    ) -> FrameBytes {
        FrameBytes(count: choice.byteCount) { output in
            var offset: Int
            if choice.encoding == .bitmapF32 || choice.encoding == .bitmapF16 || choice.encoding == .maskBitmap {
                offset = bitmapByteCount(elements: elements)
                if offset > 0 { memset(output.baseAddress!, 0, offset) }
                for position in positions {
                    let index = Int(position)
                    output[index / 8] |= UInt8(1) << UInt8(index % 8)
                }
            } else {
                output.storeBytes(of: UInt32(positions.count).littleEndian, toByteOffset: 0, as: UInt32.self)
                output[4] = UInt8(choice.riceParameter)
                let streamBytes = choice.riceBits / 8 + (choice.riceBits % 8 == 0 ? 0 : 1)
                if streamBytes > 0 {
                    let stream = UnsafeMutableRawBufferPointer(
                        rebasing: output[deltaHeaderBytes..<deltaHeaderBytes + streamBytes])
                    RiceCoding.write(positions, parameter: choice.riceParameter, into: stream)
                }
                offset = deltaHeaderBytes + streamBytes
            }
            guard let values else { return }
            if choice.encoding.valueByteCount == 2 {
                for (ordinal, value) in values.enumerated() {
                    output.storeBytes(
                        of: Float16(value).bitPattern.littleEndian, toByteOffset: offset + ordinal * 2,
                        as: UInt16.self)
                }
            } else {
                for (ordinal, value) in values.enumerated() {
                    output.storeBytes(
                        of: value.bitPattern.littleEndian, toByteOffset: offset + ordinal * 4, as: UInt32.self)
                }
            }
        }
    }
}
