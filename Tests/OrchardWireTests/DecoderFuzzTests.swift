import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardWire

/// Feeds the decoder random and mutated messages from a seeded stream.
///
/// Every input must end as a decoded message or a `WireError` (typed throws guarantee nothing
/// else escapes; a trap would end the test process). Valid inputs must decode to what was sent.
/// Task and result messages carry dense, sparse and mask frames of every encoding.
@Suite("Decoder fuzzing")
struct DecoderFuzzTests {
    static let inputCount = 12_000

    /// What the fuzzer saw, by the way each input was made.
    struct Tally {
        var decoded = 0
        var rejections = RejectionCounts()
        var byStrategy: [String: (decoded: Int, rejected: Int)] = [:]
        /// Decoded tensor frames by encoding, and rejections of malformed sparse or mask frames.
        var decodedByEncoding: [TensorEncoding: Int] = [:]
        var malformedTensors = 0
    }

    @Test func randomAndMutatedMessages() throws {
        var random = RandomStream(seed: 2026, purpose: "wire-fuzz")
        let codec = MessageCodec(limits: DecodingLimits(maxFrames: 16, maxEnvelopeBytes: 4096, maxTensorBytes: 1 << 16))
        var tally = Tally()
        let clock = ContinuousClock()
        let started = clock.now
        for _ in 0..<Self.inputCount {
            let (strategy, frames, original) = try Self.input(&random, codec: codec)
            do {
                let decoded = try codec.decode(frames)
                tally.decoded += 1
                tally.byStrategy[strategy, default: (0, 0)].decoded += 1
                // Whatever decodes must encode again to frames that decode to the same message,
                // and its tensors must convert without trapping.
                let again = try codec.decode(try codec.encode(decoded.message).byteArrays)
                #expect(try codec.encode(again.message).byteArrays == codec.encode(decoded.message).byteArrays)
                for tensor in decoded.message.tensors {
                    tally.decodedByEncoding[tensor.encoding, default: 0] += 1
                    let payload = try tensor.decodedPayload(role: .data)
                    #expect(try TensorFrame(name: tensor.name, payload: payload).keptCount ?? 0 <= tensor.elementCount)
                    if tensor.encoding != .maskUnchanged { _ = try tensor.tensor(role: .data) }
                }
                if let original {
                    #expect(try codec.encode(decoded.message).byteArrays == original, "\(strategy) changed on the way")
                }
            } catch {
                tally.rejections.record(error)
                if case .malformedTensor = error.reason { tally.malformedTensors += 1 }
                tally.byStrategy[strategy, default: (0, 0)].rejected += 1
                #expect(original == nil, "valid \(strategy) input rejected: \(error)")
                _ = try codec.encode(error.reply())
            }
        }
        let elapsed = clock.now - started
        print(
            "fuzz: \(Self.inputCount) inputs in \(elapsed): \(tally.decoded) decoded, \(tally.rejections.total) rejected"
        )
        print("fuzz: rejections by code: \(tally.rejections.byCode.sorted { $0.key.rawValue < $1.key.rawValue })")
        print("fuzz: by strategy: \(tally.byStrategy.sorted { $0.key < $1.key })")
        print(
            "fuzz: decoded frames by encoding: \(tally.decodedByEncoding.sorted { $0.key.rawValue < $1.key.rawValue }), "
                + "\(tally.malformedTensors) malformed sparse or mask frames rejected")
        for encoding in TensorEncoding.allCases {
            #expect(tally.decodedByEncoding[encoding, default: 0] > 0, "no \(encoding) frame decoded")
        }
        #expect(tally.malformedTensors > 0)
        #expect(tally.decoded + tally.rejections.total == Self.inputCount)
        #expect(tally.decoded >= Self.inputCount / 5)
        #expect(tally.rejections.total >= Self.inputCount / 5)
        // Every kind of rejection the limits and checks can give shows up.
        for code in [ErrorCode.malformed, .limitExceeded, .unknownKind, .unsupportedVersion, .unsupportedEncoding] {
            #expect(tally.rejections[code] > 0, "no \(code) rejections")
        }
    }

    // MARK: Inputs

    /// One input: its strategy, its frames, and for unmodified valid messages the expected frames.
    static func input(_ random: inout RandomStream, codec: MessageCodec) throws -> (String, [[UInt8]], [[UInt8]]?) {
        let roll = random.nextInt(below: 100)
        if roll < 15 { return ("random bytes", randomFrames(&random), nil) }
        let message = randomMessage(&random)
        let frames = try codec.encode(message).byteArrays
        if roll < 35 { return ("valid", frames, frames) }
        if roll < 75 { return mutated(frames, &random) }
        return ("extreme fields", try extreme(message, &random), nil)
    }

    static func randomFrames(_ random: inout RandomStream) -> [[UInt8]] {
        (0..<random.nextInt(below: 5)).map { _ in
            (0..<random.nextInt(below: 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
    }

    static func randomString(_ random: inout RandomStream, maxLength: Int = 12) -> String {
        let alphabet = Array("abcdefghij-._ αβγ✓0123456789")
        return String(
            (0..<random.nextInt(below: maxLength + 1)).map { _ in alphabet[random.nextInt(below: alphabet.count)] })
    }

    static func randomMap<Value>(_ random: inout RandomStream, _ value: (inout RandomStream) -> Value) -> [String:
        Value]
    {
        var map: [String: Value] = [:]
        for _ in 0..<random.nextInt(below: 4) { map[randomString(&random)] = value(&random) }
        return map
    }

    /// A valid message of a random kind with random field values.
    static func randomMessage(_ random: inout RandomStream) -> Message {
        let host = "host-" + randomString(&random)
        let number = { (random: inout RandomStream) in Double(bitPattern: random.next()) }
        let body: MessageBody
        switch MessageKind.allCases[random.nextInt(below: MessageKind.allCases.count)] {
        case .hello:
            let clients = (0..<1 + random.nextInt(below: 3)).map { index in
                ClientCapabilities(
                    clientID: UInt32(index * 1000 + random.nextInt(below: 1000)), memoryBudgetBytes: random.next(),
                    computeFLOPsPerSecond: random.nextDouble() * 1e12, latencySeconds: random.nextDouble(),
                    extra: randomMap(&random) { randomString(&$0) })
            }
            body = .hello(Hello(hostID: host, clients: clients, softwareVersion: randomString(&random)))
        case .welcome:
            body = .welcome(
                Welcome(
                    topologyName: randomString(&random), seed: random.next(), acceptedClientRanges: [1...1, 5...9],
                    heartbeatIntervalMilliseconds: 1 + UInt32(random.nextInt(below: 5000)),
                    settings: randomMap(&random) { randomString(&$0) }))
        case .task:
            body = .task(
                TaskAssignment(
                    taskID: random.next(), clientID: UInt32(truncatingIfNeeded: random.next()),
                    kind: [TaskKind.train, .evaluate, .topKGradients][random.nextInt(below: 3)], model: "lenet5",
                    hyperparameters: randomMap(&random, number), settings: randomMap(&random) { randomString(&$0) }))
        case .result:
            let status = ResultStatus.allCases[random.nextInt(below: 3)]
            body = .result(
                TaskResult(
                    taskID: random.next(), clientID: UInt32(truncatingIfNeeded: random.next()), status: status,
                    reason: status == .ok ? "" : "no room", metrics: randomMap(&random, number)))
        case .heartbeat:
            body = .heartbeat(Heartbeat(hostID: host, sequence: random.next(), sentUnixNanoseconds: random.next()))
        case .error:
            body = .error(
                ErrorReport(
                    code: ErrorCode(rawValue: UInt32(random.nextInt(below: 10))), message: randomString(&random),
                    offendingKind: UInt32(random.nextInt(below: 8))))
        case .shutdown:
            body = .shutdown(Shutdown(reason: randomString(&random)))
        }
        var tensors: [TensorFrame] = []
        if body.kind.carriesTensors {
            for index in 0..<random.nextInt(below: 4) {
                tensors.append(randomFrame(name: "t\(index)", &random))
            }
        }
        return Message(
            runID: random.next(), round: UInt32(truncatingIfNeeded: random.next()), body: body, tensors: tensors)
    }

    /// A dense, sparse or mask frame of a small random shape; sparse densities range from empty to
    /// full, so that every encoding and the degenerate cases occur.
    static func randomFrame(name: String, _ random: inout RandomStream) -> TensorFrame {
        let shape = (0..<random.nextInt(below: 4)).map { _ in random.nextInt(below: 5) }
        // At most 59 x 59 elements, so that a full frame stays within the fuzz limit of 64 KiB.
        let sparseShape = (0..<1 + random.nextInt(below: 2)).map { _ in random.nextInt(below: 60) }
        let elements = sparseShape.reduce(1, *)
        let density = [0, 0.01, 0.05, 0.3, 0.9, 1][random.nextInt(below: 6)]
        let indices = randomPositions(elements: elements, density: density, random: &random)
        let precision: ValuePrecision = random.nextInt(below: 2) == 0 ? .float32 : .float16
        let payload: TensorPayload
        switch random.nextInt(below: 6) {
        case 0, 1: payload = .dense(Samples.tensor(shape, random: &random))
        case 2, 3:
            let values = indices.map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: random.next())) }
            payload = .sparse(shape: sparseShape, indices: indices, values: values)
        case 4: payload = .mask(shape: sparseShape, indices: indices)
        default: payload = .maskUnchanged(shape: sparseShape, sinceRound: random.nextInt(below: 1000))
        }
        // The payloads are valid by construction.
        return try! TensorFrame(name: name, payload: payload, precision: precision)
    }

    /// A valid message's frames changed at the byte or frame level.
    static func mutated(_ frames: [[UInt8]], _ random: inout RandomStream) -> (String, [[UInt8]], [[UInt8]]?) {
        var frames = frames
        let target = random.nextInt(below: frames.count)
        switch random.nextInt(below: 8) {
        case 7 where frames.count > 1 && frames[target].count >= 5 && target > 0:
            // A sparse header's count or Rice parameter, or a bitmap's first bytes, set to an
            // extreme: the fields a sparse decoder must check before it trusts them.
            let offset = random.nextInt(below: 5)
            frames[target][offset] = [0x00, 0x01, 0x1f, 0x20, 0x7f, 0xff][random.nextInt(below: 6)]
            return ("sparse header", frames, nil)
        case 0:
            for _ in 0..<1 + random.nextInt(below: 4) where !frames[target].isEmpty {
                let bit = random.nextInt(below: frames[target].count * 8)
                frames[target][bit / 8] ^= 1 << UInt8(bit % 8)
            }
            return ("bit flips", frames, nil)
        case 1:
            frames[target].removeLast(random.nextInt(below: frames[target].count + 1))
            return ("truncation", frames, nil)
        case 2:
            frames[target] += (0..<1 + random.nextInt(below: 16)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            return ("extension", frames, nil)
        case 3:
            frames.remove(at: target)
            return ("frame drop", frames, nil)
        case 4:
            frames.insert(frames[target], at: random.nextInt(below: frames.count + 1))
            return ("frame duplication", frames, nil)
        case 5 where frames.count > 1:
            // Another frame than the target, so the swap always changes the order.
            frames.swapAt(target, (target + 1 + random.nextInt(below: frames.count - 1)) % frames.count)
            return ("frame swap", frames, nil)
        default:
            // Overwrite one byte of the envelope with a value that often makes a field too long.
            if !frames[0].isEmpty {
                frames[0][random.nextInt(below: frames[0].count)] = [0x00, 0x7f, 0x80, 0xff][random.nextInt(below: 4)]
            }
            return ("byte overwrite", frames, nil)
        }
    }

    /// A valid message whose envelope fields are set to extreme or out-of-range values.
    static func extreme(_ message: Message, _ random: inout RandomStream) throws -> [[UInt8]] {
        let extremes: [UInt64] = [0, 1, 4, 255, 1 << 31, 1 << 32, 1 << 40, .max - 1, .max]
        let pick = { (random: inout RandomStream) in extremes[random.nextInt(below: extremes.count)] }
        return try frames(of: message) { envelope in
            switch random.nextInt(below: 8) {
            case 0: envelope.version = UInt32(truncatingIfNeeded: pick(&random))
            case 1: envelope.kind = Orchard_Wire_V1_Kind(rawValue: random.nextInt(below: 12) - 2) ?? .unspecified
            case 2: envelope.runID = pick(&random); envelope.round = UInt32(truncatingIfNeeded: pick(&random))
            default:
                if envelope.tensors.isEmpty {
                    var descriptor = Orchard_Wire_V1_TensorDescriptor()
                    descriptor.name = "ghost"
                    descriptor.encoding = .denseF32
                    envelope.tensors.append(descriptor)
                }
                let index = random.nextInt(below: envelope.tensors.count)
                switch random.nextInt(below: 5) {
                case 0: envelope.tensors[index].shape = (0..<random.nextInt(below: 12)).map { _ in pick(&random) }
                case 1: envelope.tensors[index].byteLength = pick(&random)
                case 2:
                    envelope.tensors[index].encoding =
                        Orchard_Wire_V1_TensorEncoding(rawValue: random.nextInt(below: 12) - 1) ?? .unspecified
                case 3: envelope.tensors[index].sinceRound = UInt32(truncatingIfNeeded: pick(&random))
                default: envelope.tensors[index].name = random.nextInt(below: 2) == 0 ? "" : envelope.tensors[0].name
                }
            }
        }
    }
}
