import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardWire

/// Malformed sparse and mask frames end in a `WireError` that names the tensor and the problem.
@Suite("Strict decoding of sparse frames")
struct SparseStrictDecodingTests {
    /// A task with one tensor `w` of the given payload, as frames.
    func frames(_ payload: TensorPayload, precision: ValuePrecision = .float32) throws -> [[UInt8]] {
        let frame = try TensorFrame(name: "w", payload: payload, precision: precision)
        let message = Message(
            runID: 1, round: 2, body: .task(TaskAssignment(taskID: 1, clientID: 2, kind: .train)), tensors: [frame])
        return try MessageCodec().encode(message).byteArrays
    }

    /// The frames with the tensor frame replaced and its descriptor's byte_length to match.
    func replacingTensor(_ frames: [[UInt8]], with bytes: [UInt8]) throws -> [[UInt8]] {
        var envelope = try WireEnvelope(serializedBytes: frames[0])
        envelope.tensors[0].byteLength = UInt64(bytes.count)
        return [try envelope.serializedBytes(), bytes]
    }

    /// The problem text of a `malformedTensor` rejection, or a recorded issue.
    func problem(_ frames: [[UInt8]], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let error = rejectionError(frames)
        guard case .malformedTensor(let tensor, let name, let problem)? = error?.reason else {
            Issue.record(
                "expected a malformed tensor, got \(String(describing: error))", sourceLocation: sourceLocation)
            return ""
        }
        #expect(tensor == 0 && name == "w", sourceLocation: sourceLocation)
        #expect(error?.code == .malformed && error?.frame == 1, sourceLocation: sourceLocation)
        return problem
    }

    /// A delta frame: header (count, parameter), stream bytes, then values.
    func delta(count: UInt32, parameter: UInt8, stream: [UInt8], values: Int = 0) -> [UInt8] {
        withUnsafeBytes(of: count.littleEndian, Array.init) + [parameter] + stream
            + [UInt8](repeating: 0, count: values * 4)
    }

    @Test func bitmapChecks() throws {
        let valid = try frames(.sparse(shape: [10], indices: [1, 4, 7, 8, 9], values: [1, 2, 3, 4, 5]))
        #expect(valid[1].count == 2 + 20)
        #expect(rejection(valid) == nil)
        // A padding bit past element 10.
        var padded = valid[1]
        padded[1] |= 0x80
        #expect(problem(try replacingTensor(valid, with: padded)).contains("padding"))
        // One position more than there are values.
        var extra = valid[1]
        extra[0] |= 0x01
        #expect(problem(try replacingTensor(valid, with: extra)).contains("sets 6 positions"))
        // Shorter than the bitmap.
        #expect(problem(try replacingTensor(valid, with: [0xff])).contains("fewer than the bitmap"))
        // Values cut short.
        #expect(problem(try replacingTensor(valid, with: Array(valid[1].dropLast()))).contains("bytes of values"))
    }

    @Test func deltaHeaderChecks() throws {
        let valid = try frames(.mask(shape: [1000], indices: [3, 500, 999]))
        #expect(
            try TensorFrame(name: "w", payload: .mask(shape: [1000], indices: [3, 500, 999])).encoding == .maskDelta)
        #expect(rejection(valid) == nil)
        #expect(problem(try replacingTensor(valid, with: [1, 0, 0])).contains("delta header"))
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 1001, parameter: 3, stream: []))).contains("1001"))
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 1, parameter: 32, stream: [1, 0, 0, 0, 0])))
                .contains("Rice parameter 32"))
        // Count 0 (or N) with a stream or a parameter.
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 0, parameter: 0, stream: [0]))).contains("no Rice"))
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 1000, parameter: 2, stream: []))).contains("no Rice"))
        // A count the stream cannot hold, caught before walking it.
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 900, parameter: 4, stream: [0xff, 0xff])))
                .contains("needs at least"))
        // A header that claims values a mask frame would not have: values of a DELTA_F32 frame.
        let sparse = try frames(.sparse(shape: [1000], indices: [3], values: [1]))
        #expect(
            problem(try replacingTensor(sparse, with: delta(count: 200, parameter: 0, stream: []))).contains("values"))
    }

    @Test func riceStreamChecks() throws {
        let valid = try frames(.mask(shape: [1000], indices: [3, 500, 999]))
        // Parameter 0: gap g is g zero bits then a one. Gaps 0, 1 give positions 0 and 2.
        let twoCodes: [UInt8] = [0b0000_0101]
        let good = try replacingTensor(valid, with: delta(count: 2, parameter: 0, stream: twoCodes))
        let decoded = try MessageCodec().decode(good)
        #expect(try decoded.message.tensors[0].decodedPayload() == .mask(shape: [1000], indices: [0, 2]))
        // A third code promised but missing.
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 3, parameter: 0, stream: twoCodes)))
                .contains("cut off"))
        // Non-zero padding after the last code, and a whole extra byte.
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 2, parameter: 0, stream: [0b1000_0101])))
                .contains("more than 2 codes"))
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 2, parameter: 0, stream: [0b0000_0101, 0])))
                .contains("more than 2 codes"))
        // A gap that passes the last element: parameter 9, quotient 1, remainder 511 -> position 1023.
        let pastEnd: [UInt8] = [0b1111_1110, 0b0000_0111]
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 1, parameter: 9, stream: pastEnd)))
                .contains("not below 1000"))
        // A unary run longer than the tensor, stopped at the bound rather than counted to the end.
        let zeros = [UInt8](repeating: 0, count: 200) + [1]
        #expect(
            problem(try replacingTensor(valid, with: delta(count: 1, parameter: 0, stream: zeros))).contains("cut off"))
    }

    @Test func sinceRoundOnlyOnUnchangedMasks() throws {
        let dense = try frames(.dense(Tensor(zeros: [2])))
        var envelope = try WireEnvelope(serializedBytes: dense[0])
        envelope.tensors[0].sinceRound = 3
        #expect(problem([try envelope.serializedBytes(), dense[1]]).contains("since_round"))
        let unchanged = try frames(.maskUnchanged(shape: [4], sinceRound: 0))
        #expect(rejection(unchanged) == nil)
        #expect(problem(try replacingTensor(unchanged, with: [0])).contains("not 0"))
    }

    @Test func maskDigestOnlyOnUnchangedMasks() throws {
        let dense = try frames(.dense(Tensor(zeros: [2])))
        var envelope = try WireEnvelope(serializedBytes: dense[0])
        envelope.tensors[0].maskDigest = 0x1234
        #expect(problem([try envelope.serializedBytes(), dense[1]]).contains("mask_digest"))
        let unchanged = try frames(.maskUnchanged(shape: [4], sinceRound: 2, digest: 0xFEED_F00D_0000_0001))
        #expect(rejection(unchanged) == nil)
    }

    @Test func sparseShapesPast2To31AreRefused() throws {
        let valid = try frames(.mask(shape: [16], indices: [1]))
        var envelope = try WireEnvelope(serializedBytes: valid[0])
        envelope.tensors[0].shape = [1 << 16, 1 << 16]
        let limits = DecodingLimits(maxElements: 1 << 33)
        guard
            case .malformedTensor(_, _, let problem)? = rejection(
                [try envelope.serializedBytes(), valid[1]], limits: limits)
        else {
            Issue.record("accepted")
            return
        }
        #expect(problem.contains("2^31"))
    }

    @Test func halfDenseFramesFollowTheirShape() throws {
        let valid = try frames(.dense(Tensor(shape: [3], values: [1, 2, 3])), precision: .float16)
        #expect(valid[1] == [0x00, 0x3c, 0x00, 0x40, 0x00, 0x42])
        var envelope = try WireEnvelope(serializedBytes: valid[0])
        envelope.tensors[0].shape = [4]
        #expect(
            rejection([try envelope.serializedBytes(), valid[1]])
                == .shapeMismatch(tensor: 0, name: "w", byteLength: 6, expected: 8))
    }
}
