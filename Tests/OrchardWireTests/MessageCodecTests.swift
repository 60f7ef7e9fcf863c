import OrchardTensor
import Testing

@testable import OrchardWire

@Suite("Message codec round trips")
struct MessageCodecTests {
    let codec = MessageCodec()

    @Test(arguments: Samples.everyKind())
    func roundTrip(_ message: Message) throws {
        let encoded = try codec.encode(message)
        #expect(encoded.kind == message.kind)
        #expect(encoded.frames.count == 1 + message.tensors.count)
        let decoded = try codec.decode(encoded.byteArrays)
        #expect(decoded.message == message)
        #expect(decoded.size == encoded.size)
        for (sent, received) in zip(message.tensors, decoded.message.tensors) {
            #expect(received.name == sent.name)
            #expect(received.shape == sent.shape)
            #expect(received.encoding == .denseF32)
            #expect(Samples.bits(try received.tensor()) == Samples.bits(try sent.tensor()))
        }
    }

    /// Parses hex such as `08 01 10 05` into bytes.
    static func bytes(_ hex: String) -> [UInt8] {
        hex.split(whereSeparator: \.isWhitespace).compactMap { UInt8($0, radix: 16) }
    }

    @Test func matchesTheExamplesInTheProtocolDocument() throws {
        // docs/protocol.md section 2; the bytes are protoc's own encoding of the same messages,
        // so a peer built from orchard.proto in any language reads and writes them alike.
        let heartbeat = Message(runID: 42, body: .heartbeat(Heartbeat(hostID: "host-a", sequence: 7)))
        let heartbeatBytes = Self.bytes("08 01 10 05 18 2a 72 0a 0a 06 68 6f 73 74 2d 61 10 07")
        #expect(try codec.encode(heartbeat).byteArrays == [heartbeatBytes])

        let task = Message(
            runID: 42, round: 3,
            body: .task(
                TaskAssignment(taskID: 9, clientID: 5, kind: .train, model: "lenet5", hyperparameters: ["lr": 0.05])),
            tensors: [TensorFrame(name: "fc.bias", tensor: Tensor(shape: [2], values: [1, -2]))])
        let envelope = Self.bytes(
            """
            08 01 10 03 18 2a 20 03 62 22 08 09 10 05 1a 05 74 72 61 69 6e 22 06 6c 65 6e 65 74 35 2a 0d 0a
            02 6c 72 11 9a 99 99 99 99 99 a9 3f a2 01 10 0a 07 66 63 2e 62 69 61 73 12 01 02 18 01 20 08
            """)
        let tensor = Self.bytes("00 00 80 3f 00 00 00 c0")
        #expect(try codec.encode(task).byteArrays == [envelope, tensor])
        #expect(try codec.decode([envelope, tensor]).message == task)
    }

    @Test func everyKindIsCovered() {
        #expect(Set(Samples.everyKind().map(\.kind)) == Set(MessageKind.allCases))
    }

    @Test func encodingIsDeterministic() throws {
        // Maps are written in key order, so the bytes do not depend on hashing seeds.
        for message in Samples.everyKind() {
            let first = try codec.encode(message).byteArrays
            var copy = message
            if case .task(var task) = copy.body {
                task.hyperparameters = Dictionary(uniqueKeysWithValues: task.hyperparameters.reversed())
                copy.body = .task(task)
            }
            #expect(try codec.encode(copy).byteArrays == first)
        }
    }

    @Test func tensorFramesKeepEveryBitPattern() throws {
        var random = RandomStream(seed: 5)
        let tensor = Samples.tensor([3, 7, 11], random: &random)
        let frame = TensorFrame(name: "w", tensor: tensor)
        #expect(frame.byteLength == tensor.count * 4)
        #expect(frame.elementCount == tensor.count)
        // Little-endian binary32, as the protocol says, whatever the host's byte order.
        let bytes = frame.payload.bytes
        for index in 0..<tensor.count {
            let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[index * 4 + $1]) << (8 * $1) }
            #expect(word == tensor[index].bitPattern)
        }
        let decoded = try frame.tensor(role: .parameter)
        #expect(decoded.shape == tensor.shape)
        #expect(Samples.bits(decoded) == Samples.bits(tensor))
    }

    @Test func tensorFrameValuesAreCopied() throws {
        // A frame is a value: changing the tensor afterwards does not change what is sent.
        let tensor = Tensor(shape: [2], values: [1, 2])
        let frame = TensorFrame(name: "w", tensor: tensor)
        tensor[0] = 9
        #expect(try frame.values() == [1, 2])
    }

    @Test func decodeIntoExistingTensor() throws {
        let frame = TensorFrame(name: "w", tensor: Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        let target = Tensor(zeros: [2, 2])
        try frame.decode(into: target)
        #expect(target.values == [1, 2, 3, 4])
        #expect(throws: WireError.self) { try frame.decode(into: Tensor(zeros: [4])) }
        do {
            try frame.decode(into: Tensor(zeros: [4]))
        } catch {
            #expect(error.reason == .tensorShapeMismatch(name: "w", frame: [2, 2], tensor: [4]))
        }
    }

    @Test func checkedTensorFrameInitialiser() throws {
        let good = try TensorFrame(
            name: "b", shape: [2, 3], encoding: .denseF32, payload: FrameBytes([UInt8](repeating: 0, count: 24)))
        #expect(good.elementCount == 6)
        #expect(throws: WireError.self) {
            try TensorFrame(name: "b", shape: [2, 3], encoding: .denseF32, payload: FrameBytes([0, 0, 0, 0]))
        }
        #expect(throws: WireError.self) {
            try TensorFrame(name: "b", shape: [-1], encoding: .denseF32, payload: FrameBytes([]))
        }
        #expect(throws: WireError.self) {
            try TensorFrame(name: "b", shape: [1], encoding: .bitmapF32, payload: FrameBytes([0, 0, 0, 0]))
        }
    }

    @Test func sizeAccounting() throws {
        let message = Samples.task(tensorShape: [300])
        let encoded = try codec.encode(message)
        let size = encoded.size
        #expect(size.frameCount == 2)
        #expect(size.envelopeBytes == encoded.frames[0].count)
        #expect(size.tensorBytes == 1200)
        #expect(size.totalBytes == size.envelopeBytes + 1200)
        #expect(size.tensorBytesByEncoding == [.denseF32: 1200])
        // ZMTP: 2 header bytes for the short envelope frame, 9 for the 1200-byte tensor frame.
        #expect(size.envelopeBytes <= 255)
        #expect(size.transportBytes == size.totalBytes + 2 + 9)
        #expect(encoded.clientID == 2)
        #expect(try codec.encode(Samples.everyKind()[0]).clientID == nil)
    }

    @Test func encodeRejectsWhatTheReceiverWouldReject() {
        let invalid: [(Message, String)] = [
            (Message(body: .hello(Hello(hostID: "", clients: [ClientCapabilities(clientID: 1)]))), "hello.host_id"),
            (Message(body: .hello(Hello(hostID: "h", clients: []))), "hello.client_ranges"),
            (Message(body: .hello(Hello(hostID: "h", clientRanges: [5...9, 9...12]))), "hello.client_ranges[1]"),
            (Message(body: .hello(Hello(hostID: "h", clientRanges: [5...9, 0...2]))), "hello.client_ranges[1]"),
            (
                Message(
                    body: .hello(Hello(hostID: "h", clientRanges: [0...3], clients: [ClientCapabilities(clientID: 4)]))),
                "hello.clients[0].client_id"
            ),
            (
                Message(
                    body: .welcome(
                        Welcome(
                            topologyName: "t", seed: 1, acceptedClientRanges: [0...3, 2...5],
                            heartbeatIntervalMilliseconds: 1))),
                "welcome.accepted_client_ranges[1]"
            ),
            (
                Message(
                    body: .hello(
                        Hello(hostID: "h", clients: [ClientCapabilities(clientID: 1, latencySeconds: -.infinity)]))),
                "hello.clients[0].latency_seconds"
            ),
            (Message(body: .task(TaskAssignment(taskID: 1, clientID: 1, kind: ""))), "task.task_kind"),
            (Message(body: .result(TaskResult(taskID: 1, clientID: 1, status: .error))), "result.reason"),
            (
                Message(
                    body: .welcome(
                        Welcome(
                            topologyName: "t", seed: 1, acceptedClientRanges: [1...1], heartbeatIntervalMilliseconds: 0)
                    )),
                "welcome.heartbeat_interval_ms"
            ),
            (
                Message(
                    body: .heartbeat(Heartbeat(hostID: "h", sequence: 1)),
                    tensors: [TensorFrame(name: "x", tensor: Tensor(zeros: [1]))]),
                "tensors"
            ),
            (
                Message(
                    body: .task(TaskAssignment(taskID: 1, clientID: 1, kind: .train)),
                    tensors: [
                        TensorFrame(name: "x", tensor: Tensor(zeros: [1])),
                        TensorFrame(name: "x", tensor: Tensor(zeros: [1])),
                    ]),
                "tensors[1].name"
            ),
        ]
        for (message, field) in invalid {
            do {
                _ = try codec.encode(message)
                Issue.record("encoded an invalid \(message.kind)")
            } catch {
                guard case .invalidField(let named, _) = error.reason else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(named == field)
            }
        }
    }

    @Test func errorReplyNamesTheProblem() throws {
        let frames = try frames(of: Samples.everyKind()[2]) { $0.version = 7 }
        let error = try #require(rejectionError(frames))
        #expect(error.reason == .unsupportedVersion(7))
        #expect(error.code == .unsupportedVersion)
        #expect(error.offendingKind == MessageKind.task.rawValue)
        let reply = error.reply(runID: 99)
        let decoded = try codec.decode(try codec.encode(reply).byteArrays).message
        guard case .error(let report) = decoded.body else {
            Issue.record("reply is \(decoded.kind)")
            return
        }
        #expect(report.code == .unsupportedVersion)
        #expect(report.offendingKind == 3)
        #expect(report.message.contains("version 7"))
        #expect(decoded.runID == 99)
    }

    @Test func unknownErrorCodesStillDecode() throws {
        for raw: UInt32 in [0, 42, UInt32(Int32.max), .max] {
            let message = Message(
                body: .error(ErrorReport(code: ErrorCode(rawValue: raw), message: "x", offendingKind: raw)))
            let decoded = try codec.decode(try codec.encode(message).byteArrays)
            #expect(decoded.message == message)
        }
    }
}
