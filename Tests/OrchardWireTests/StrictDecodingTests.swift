import OrchardTensor
import Testing

@testable import OrchardWire

@Suite("Strict decoding")
struct StrictDecodingTests {
    let task = Samples.task(tensorShape: [2, 3])

    func valid() throws -> [[UInt8]] { try MessageCodec().encode(task).byteArrays }

    // MARK: Frames and sizes

    @Test func noFrames() {
        #expect(rejection([]) == .noFrames)
    }

    @Test func tooManyFrames() throws {
        let frames = try valid() + [[1], [2], [3]]
        #expect(rejection(frames, limits: DecodingLimits(maxFrames: 3)) == .tooManyFrames(count: 5, limit: 3))
    }

    @Test func messageTooLarge() throws {
        let frames = try valid()
        let total = frames.reduce(0) { $0 + $1.count }
        #expect(
            rejection(frames, limits: DecodingLimits(maxTotalBytes: total - 1))
                == .messageTooLarge(bytes: total, limit: total - 1))
    }

    @Test func envelopeTooLarge() throws {
        let frames = try valid()
        #expect(
            rejection(frames, limits: DecodingLimits(maxEnvelopeBytes: 8))
                == .envelopeTooLarge(bytes: frames[0].count, limit: 8))
    }

    // MARK: Envelope

    @Test func truncatedEnvelope() throws {
        for message in Samples.everyKind() {
            var frames = try MessageCodec().encode(message).byteArrays
            frames[0].removeLast()
            guard case .malformedEnvelope = rejection(frames) else {
                Issue.record("truncated \(message.kind) envelope gave \(String(describing: rejection(frames)))")
                continue
            }
        }
    }

    @Test func garbageEnvelope() {
        // Field 15 with wire type 7, which does not exist.
        guard case .malformedEnvelope = rejection([[0x7f, 0x01, 0x02]]) else {
            Issue.record("garbage accepted")
            return
        }
    }

    @Test(arguments: [UInt32(0), 2, 100, .max])
    func wrongVersion(_ version: UInt32) throws {
        let frames = try frames(of: task) { $0.version = version }
        let error = try #require(rejectionError(frames))
        #expect(error.reason == .unsupportedVersion(version))
        #expect(error.code == .unsupportedVersion)
    }

    @Test func otherVersionWhoseEnvelopeDoesNotParseAsThisOne() {
        // Version 2 might change field 3's type; the header still reads as version 2, not garbage.
        let frames: [[UInt8]] = [[0x08, 0x02, 0x10, 0x03, 0x1a, 0x01, 0x00]]
        #expect(rejection(frames) == .unsupportedVersion(2))
    }

    @Test(arguments: [0, 8, 99, -1, Int(Int32.max)])
    func unknownKind(_ kind: Int) throws {
        let frames = try frames(of: task) { $0.kind = Orchard_Wire_V1_Kind(rawValue: kind) ?? .unspecified }
        let error = try #require(rejectionError(frames))
        #expect(error.reason == .unknownKind(UInt32(truncatingIfNeeded: kind)))
        #expect(error.offendingKind == UInt32(truncatingIfNeeded: kind))
        #expect(error.code == .unknownKind)
    }

    @Test func bodyOfAnotherKind() throws {
        let frames = try frames(of: task) { $0.heartbeat = Heartbeat(hostID: "h", sequence: 1).wire }
        #expect(rejection(frames) == .bodyMismatch(kind: .task, body: "a heartbeat"))
    }

    @Test func missingBody() throws {
        let frames = try frames(of: task) { $0.body = nil }
        #expect(rejection(frames) == .bodyMismatch(kind: .task, body: "no"))
    }

    @Test func invalidFields() throws {
        let hello = Samples.everyKind()[0]
        let cases: [([[UInt8]], String)] = [
            (try frames(of: hello) { $0.hello.hostID = "" }, "hello.host_id"),
            (try frames(of: hello) { $0.hello.hostID = String(repeating: "h", count: 256) }, "hello.host_id"),
            (try frames(of: hello) { $0.hello.hostID = "\u{0}h" }, "hello.host_id"),
            (try frames(of: hello) { $0.hello.clients[1].clientID = 0 }, "hello.clients[1].client_id"),
            (
                try frames(of: hello) { $0.hello.clients[0].computeFlopsPerSecond = .nan },
                "hello.clients[0].compute_flops_per_second"
            ),
            (try frames(of: task) { $0.task.taskKind = "" }, "task.task_kind"),
            (try frames(of: task) { $0.tensors[0].name = "" }, "tensors[0].name"),
            (try frames(of: Samples.everyKind()[3]) { $0.result.status = .unspecified }, "result.status"),
            (try frames(of: Samples.everyKind()[3]) { $0.result.status = .UNRECOGNIZED(9) }, "result.status"),
            (try frames(of: Samples.everyKind()[1]) { $0.welcome.heartbeatLiveness = 0 }, "welcome.heartbeat_liveness"),
            (try frames(of: Samples.everyKind()[5]) { $0.heartbeat.hostID = "" }, "heartbeat.host_id"),
        ]
        for (frames, field) in cases {
            let error = try #require(rejectionError(frames))
            guard case .invalidField(let named, _) = error.reason else {
                Issue.record("\(field): \(error)")
                continue
            }
            #expect(named == field)
            #expect(error.code == .malformed)
            #expect(error.frame == 0)
        }
    }

    @Test func tensorsOnAKindThatCarriesNone() throws {
        var frames = try frames(of: Samples.everyKind()[5]) { $0.tensors = MessageCodec().encodeDescriptors(task) }
        frames.append(try valid()[1])
        guard case .invalidField("tensors", _) = rejection(frames) else {
            Issue.record("heartbeat with tensors: \(String(describing: rejection(frames)))")
            return
        }
    }

    // MARK: Tensors

    @Test func frameCountMismatch() throws {
        let frames = try valid()
        #expect(rejection(Array(frames.dropLast())) == .frameCountMismatch(descriptors: 1, tensorFrames: 0))
        #expect(rejection(frames + [frames[1]]) == .frameCountMismatch(descriptors: 1, tensorFrames: 2))
    }

    @Test func byteLengthDisagreesWithFrame() throws {
        var frames = try valid()
        frames[1].removeLast(4)
        #expect(rejection(frames) == .byteLengthMismatch(tensor: 0, name: "w", declared: 24, frameBytes: 20))
        frames[1] += [0, 0, 0, 0, 0, 0, 0, 0]
        #expect(rejection(frames) == .byteLengthMismatch(tensor: 0, name: "w", declared: 24, frameBytes: 28))
    }

    @Test func byteLengthDisagreesWithShape() throws {
        let frames = try frames(of: task) { $0.tensors[0].shape = [2, 2] }
        let error = try #require(rejectionError(frames))
        #expect(error.reason == .shapeMismatch(tensor: 0, name: "w", byteLength: 24, expected: 16))
        #expect(error.frame == 1)
        #expect(error.description.contains("frame 1"))
    }

    @Test func rankLimit() throws {
        let frames = try frames(of: task) { $0.tensors[0].shape = [UInt64](repeating: 1, count: 9) + [6] }
        #expect(rejection(frames) == .rankTooLarge(tensor: 0, name: "w", rank: 10, limit: 8))
        let custom = DecodingLimits(maxRank: 1)
        #expect(rejection(try valid(), limits: custom) == .rankTooLarge(tensor: 0, name: "w", rank: 2, limit: 1))
    }

    @Test func elementLimit() throws {
        let limit = DecodingLimits.standard.maxElements
        let product = try frames(of: task) { $0.tensors[0].shape = [1 << 20, 1 << 20] }
        #expect(rejection(product) == .tooManyElements(tensor: 0, name: "w", elements: 1 << 40, limit: limit))
        // A dimension past the limit is caught before it is multiplied or converted to Int.
        let huge = try frames(of: task) { $0.tensors[0].shape = [0, .max] }
        #expect(rejection(huge) == .tooManyElements(tensor: 0, name: "w", elements: .max, limit: limit))
        let small = DecodingLimits(maxElements: 5)
        #expect(rejection(try valid(), limits: small) == .tooManyElements(tensor: 0, name: "w", elements: 6, limit: 5))
    }

    @Test func declaredSizeBeyondLimitIsRejectedBeforeComparingWithTheFrame() throws {
        // The frame holds 24 bytes; the envelope claims 4 GiB with a consistent shape. The limit
        // check comes first, so nothing sized by the claim is ever allocated.
        let claim = try frames(of: task) {
            $0.tensors[0].shape = [1 << 30]
            $0.tensors[0].byteLength = 4 << 30
        }
        let limits = DecodingLimits(maxElements: 1 << 31)
        #expect(
            rejection(claim, limits: limits)
                == .tensorTooLarge(tensor: 0, name: "w", bytes: 4 << 30, limit: limits.maxTensorBytes))
        let extreme = try frames(of: task) { $0.tensors[0].byteLength = .max }
        #expect(
            rejection(extreme)
                == .tensorTooLarge(tensor: 0, name: "w", bytes: .max, limit: DecodingLimits.standard.maxTensorBytes))
    }

    @Test(arguments: [0, 10, 99, -7])
    func unsupportedEncoding(_ raw: Int) throws {
        let frames = try frames(of: task) {
            $0.tensors[0].encoding = Orchard_Wire_V1_TensorEncoding(rawValue: raw) ?? .unspecified
        }
        let error = try #require(rejectionError(frames))
        #expect(error.reason == .unsupportedEncoding(tensor: 0, name: "w", encoding: UInt32(truncatingIfNeeded: raw)))
        #expect(error.code == .unsupportedEncoding)
    }

    @Test func longNamesAreClippedInErrors() throws {
        let name = String(repeating: "n", count: 10_000)
        let frames = try frames(of: task) {
            $0.tensors[0].name = name
            $0.tensors[0].shape = [99]
        }
        let error = try #require(rejectionError(frames))
        #expect(error.description.utf8.count < 400)
    }

    @Test func errorsNameTheOffendingKind() throws {
        let frames = try frames(of: task) { $0.tensors[0].shape = [5] }
        let error = try #require(rejectionError(frames))
        #expect(error.offendingKind == MessageKind.task.rawValue)
        #expect(error.description.hasPrefix("task message: frame 1"))
    }
}

extension MessageCodec {
    /// The tensor descriptors of a message, to graft onto another envelope.
    func encodeDescriptors(_ message: Message) -> [Orchard_Wire_V1_TensorDescriptor] {
        message.envelope().tensors
    }
}
