import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardWire

/// Random strictly ascending positions: each of `elements` kept with probability `density`.
func randomPositions(elements: Int, density: Double, random: inout RandomStream) -> [Int32] {
    var positions: [Int32] = []
    positions.reserveCapacity(Int(Double(elements) * density * 1.1) + 16)
    for position in 0..<elements where random.nextDouble() < density { positions.append(Int32(position)) }
    return positions
}

@Suite("Sparse and mask frames")
struct SparseFrameTests {
    let codec = MessageCodec()

    func roundTrip(_ frame: TensorFrame) throws -> TensorFrame {
        let message = Message(
            runID: 1, round: 4, body: .result(TaskResult(taskID: 1, clientID: 2)), tensors: [frame])
        let decoded = try codec.decode(try codec.encode(message).byteArrays)
        return try #require(decoded.message.tensors.first)
    }

    @Test(arguments: [0.001, 0.01, 0.1, 0.3, 0.5, 0.9])
    func sparseRoundTrip(density: Double) throws {
        var random = RandomStream(seed: 7, purpose: "sparse", Int(density * 1000))
        let shape = [37, 11, 9]
        let indices = randomPositions(elements: 37 * 11 * 9, density: density, random: &random)
        let values = indices.map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
        let payload = TensorPayload.sparse(shape: shape, indices: indices, values: values)
        let frame = try TensorFrame(name: "w", payload: payload)
        #expect(frame.keptCount == indices.count)
        let received = try roundTrip(frame)
        #expect(received == frame)
        #expect(try received.decodedPayload() == payload)
        // The dense form has the values at the kept positions and zeros elsewhere.
        let dense = try received.tensor(role: .data)
        var expected = [UInt32](repeating: 0, count: dense.count)
        for (index, value) in zip(indices, values) { expected[Int(index)] = value.bitPattern }
        #expect(Samples.bits(dense) == expected)
        // Rice-coded gaps beat the bitmap's bit per position up to a density of about 0.38.
        #expect(frame.encoding == (density <= 0.3 ? .deltaF32 : .bitmapF32))
    }

    @Test(arguments: [0.01, 0.2, 0.7])
    func maskRoundTrip(density: Double) throws {
        var random = RandomStream(seed: 8, purpose: "mask", Int(density * 1000))
        let indices = randomPositions(elements: 5000, density: density, random: &random)
        let payload = TensorPayload.mask(shape: [50, 100], indices: indices)
        let frame = try TensorFrame(name: "mask", payload: payload)
        #expect(frame.encoding == (density <= 0.3 ? .maskDelta : .maskBitmap))
        let received = try roundTrip(frame)
        #expect(try received.decodedPayload() == payload)
        let ones = try received.tensor(role: .data).values
        #expect(ones.enumerated().filter { $0.element == 1 }.map { Int32($0.offset) } == indices)
        #expect(ones.allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test func maskUnchangedCarriesItsRoundAndNoBytes() throws {
        let payload = TensorPayload.maskUnchanged(shape: [120, 84], sinceRound: 17)
        let frame = try TensorFrame(name: "fc1.mask", payload: payload)
        #expect(frame.byteLength == 0 && frame.encoding == .maskUnchanged)
        #expect(frame.analyticMinimumBytes == 0)
        let received = try roundTrip(frame)
        #expect(received.sinceRound == 17)
        #expect(try received.decodedPayload() == payload)
        #expect(throws: WireError(.unresolvedMask(name: "fc1.mask", sinceRound: 17))) {
            try received.tensor()
        }
        #expect(throws: WireError.self) {
            try TensorFrame(name: "m", payload: .maskUnchanged(shape: [2], sinceRound: -1))
        }
    }

    @Test func maskUnchangedCarriesItsDigest() throws {
        let digest = MaskDigest.of(shape: [120, 84], positions: [3, 4, 40])
        let payload = TensorPayload.maskUnchanged(shape: [120, 84], sinceRound: 5, digest: digest)
        let received = try roundTrip(try TensorFrame(name: "mask:fc1.weight", payload: payload))
        #expect(received.maskDigest == digest && received.byteLength == 0)
        #expect(try received.decodedPayload() == payload)
    }

    @Test func degenerateCases() throws {
        // Nothing kept: a 5-byte delta header, or a bitmap when that is smaller (N <= 32).
        let none = try TensorFrame(name: "n", payload: .sparse(shape: [1000], indices: [], values: []))
        #expect(none.encoding == .deltaF32 && none.byteLength == 5)
        #expect(try roundTrip(none).decodedPayload() == .sparse(shape: [1000], indices: [], values: []))
        let tinyNone = try TensorFrame(name: "n", payload: .sparse(shape: [9], indices: [], values: []))
        #expect(tinyNone.encoding == .bitmapF32 && tinyNone.byteLength == 2)
        // Everything kept: dense, and it decodes as such.
        let values: [Float] = [1, -2, 0.5, .infinity]
        let all = try TensorFrame(name: "a", payload: .sparse(shape: [2, 2], indices: [0, 1, 2, 3], values: values))
        #expect(all.encoding == .denseF32 && all.byteLength == 16)
        guard case .dense(let tensor) = try roundTrip(all).decodedPayload() else {
            Issue.record("all kept did not decode dense")
            return
        }
        #expect(tensor.values == values && tensor.shape == [2, 2])
        let allHalf = try TensorFrame(
            name: "a", payload: .sparse(shape: [4], indices: [0, 1, 2, 3], values: values), precision: .float16)
        #expect(allHalf.encoding == .denseF16 && allHalf.byteLength == 8)
        #expect(try roundTrip(allHalf).values() == values)
        // A full mask needs no positions: a delta header with the count N.
        let fullMask = try TensorFrame(name: "m", payload: .mask(shape: [4096], indices: (0..<4096).map(Int32.init)))
        #expect(fullMask.encoding == .maskDelta && fullMask.byteLength == 5)
        #expect(try roundTrip(fullMask).decodedPayload() == .mask(shape: [4096], indices: (0..<4096).map(Int32.init)))
        // Small and empty shapes, a scalar, every subset of 3 positions.
        for shape in [[0], [1], [], [3], [0, 7]] {
            let elements = shape.reduce(1, *)
            for subset in 0..<(1 << elements) {
                let indices = (0..<elements).filter { subset >> $0 & 1 == 1 }.map(Int32.init)
                let sparse = TensorPayload.sparse(shape: shape, indices: indices, values: indices.map { Float($0) + 1 })
                let decoded = try roundTrip(try TensorFrame(name: "s", payload: sparse)).decodedPayload()
                if indices.count == elements {
                    #expect(try TensorFrame(name: "s", payload: decoded).encoding == .denseF32)
                } else {
                    #expect(decoded == sparse)
                }
                let mask = TensorPayload.mask(shape: shape, indices: indices)
                #expect(try roundTrip(try TensorFrame(name: "m", payload: mask)).decodedPayload() == mask)
            }
        }
    }

    @Test func halfPrecisionValues() throws {
        var random = RandomStream(seed: 9, purpose: "half")
        let indices = randomPositions(elements: 20_000, density: 0.05, random: &random)
        let values = indices.map { _ in Float(random.nextNormal()) }
        let frame = try TensorFrame(
            name: "w", payload: .sparse(shape: [20_000], indices: indices, values: values), precision: .float16)
        #expect(frame.encoding == .deltaF16)
        guard case .sparse(_, let decodedIndices, let decodedValues) = try roundTrip(frame).decodedPayload() else {
            Issue.record("not sparse")
            return
        }
        #expect(decodedIndices == indices)
        for (sent, received) in zip(values, decodedValues) {
            #expect(abs(sent - received) <= abs(sent) * 0x1p-11 || abs(sent - received) <= 0x1p-25)
            #expect(received == Float(Float16(sent)))
        }
    }

    @Test func invalidPayloadsAreRefusedOnEncoding() {
        let cases: [TensorPayload] = [
            .sparse(shape: [10], indices: [3, 3], values: [1, 2]),
            .sparse(shape: [10], indices: [4, 2], values: [1, 2]),
            .sparse(shape: [10], indices: [10], values: [1]),
            .sparse(shape: [10], indices: [-1], values: [1]),
            .sparse(shape: [10], indices: [1, 2], values: [1]),
            .sparse(shape: [-2], indices: [], values: []),
            .mask(shape: [1 << 20, 1 << 12], indices: [0]),
            .mask(shape: [5], indices: [5]),
        ]
        for payload in cases {
            #expect(throws: WireError.self, "\(payload.shape)") { try TensorFrame(name: "x", payload: payload) }
        }
    }

    @Test func analyticMinimumIsCarriedInTheSize() throws {
        var random = RandomStream(seed: 10, purpose: "analytic")
        let indices = randomPositions(elements: 10_000, density: 0.01, random: &random)
        let sparse = try TensorFrame(
            name: "s", payload: .sparse(shape: [10_000], indices: indices, values: indices.map { Float($0) }))
        let dense = TensorFrame(name: "d", tensor: Tensor(zeros: [3, 5]))
        let unchanged = try TensorFrame(name: "u", payload: .maskUnchanged(shape: [10_000], sinceRound: 2))
        let density = Double(indices.count) / 10_000
        let expected = Double(indices.count * 4) + 10_000 * TensorFrame.binaryEntropy(density) / 8
        #expect(abs(sparse.analyticMinimumBytes - expected) < 1e-9)
        #expect(dense.analyticMinimumBytes == 60)
        let message = Message(
            round: 3, body: .task(TaskAssignment(taskID: 1, clientID: 1, kind: .train)),
            tensors: [sparse, dense, unchanged])
        let encoded = try codec.encode(message)
        #expect(abs(encoded.size.analyticMinimumBytes - (expected + 60)) < 1e-9)
        let decoded = try codec.decode(encoded.byteArrays)
        #expect(decoded.size == encoded.size)
        #expect(decoded.size.tensorBytesByEncoding[.deltaF32] == sparse.byteLength)
        #expect(TensorFrame.binaryEntropy(0.5) == 1 && TensorFrame.binaryEntropy(0) == 0)
    }

    @Test func protocolExampleBytes() throws {
        // docs/protocol.md section 2, "Example".
        let payload = TensorPayload.sparse(shape: [100], indices: [3, 4, 40], values: [1, -2, 0.5])
        let single = try TensorFrame(name: "w", payload: payload)
        #expect(single.encoding == .deltaF32)
        #expect(
            single.payload.bytes == [
                0x03, 0x00, 0x00, 0x00, 0x03, 0x17, 0x70, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00,
                0x00, 0x3f,
            ])
        let half = try TensorFrame(name: "w", payload: payload, precision: .float16)
        #expect(half.encoding == .deltaF16)
        #expect(half.payload.bytes == [0x03, 0x00, 0x00, 0x00, 0x03, 0x17, 0x70, 0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38])
        #expect(
            RiceCoding.bitCount([3, 4, 40], parameter: 2) == 17 && RiceCoding.bitCount([3, 4, 40], parameter: 4) == 17)
    }

    @Test func denseCallSitesAreUnchanged() throws {
        let tensor = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let frame = TensorFrame(name: "w", tensor: tensor)
        #expect(frame == (try TensorFrame(name: "w", payload: .dense(tensor))))
        #expect(frame.keptCount == 6 && frame.sinceRound == nil)
        #expect(try roundTrip(frame).values() == [1, 2, 3, 4, 5, 6])
    }
}
