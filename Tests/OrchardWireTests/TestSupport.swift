import OrchardTensor
import Testing

@testable import OrchardWire

/// Messages and tensors the tests send, built from seeded random streams.
enum Samples {
    /// Float bit patterns that a lossy path would change: signed zero, infinities, a quiet NaN
    /// with a payload, a signalling-pattern NaN, subnormals, extremes.
    static let awkwardFloats: [Float] = [
        0, -0.0, .infinity, -.infinity, Float(bitPattern: 0x7fc0_1234), Float(bitPattern: 0x7f80_0001),
        .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, 1, -1, .pi,
    ]

    /// A tensor of the shape whose values are random bit patterns, led by `awkwardFloats`.
    static func tensor(_ shape: [Int], random: inout RandomStream) -> Tensor {
        let tensor = Tensor(zeros: shape, role: .parameter)
        for index in 0..<tensor.count {
            tensor[index] =
                index < awkwardFloats.count
                ? awkwardFloats[index] : Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
        }
        return tensor
    }

    /// The bit patterns of a tensor's values.
    static func bits(_ tensor: Tensor) -> [UInt32] { tensor.values.map(\.bitPattern) }

    /// One message of every kind; the task and the result carry tensors.
    static func everyKind() -> [Message] {
        var random = RandomStream(seed: 11, purpose: "samples")
        let weights = TensorFrame(name: "conv1.weight", tensor: tensor([4, 3, 3, 3], random: &random))
        let bias = TensorFrame(name: "conv1.bias", tensor: tensor([4], random: &random))
        let scalar = TensorFrame(name: "scale", tensor: tensor([], random: &random))
        let empty = TensorFrame(name: "empty", tensor: tensor([0, 5], random: &random))
        let hello = Hello(
            hostID: "host-α",
            clients: [
                ClientCapabilities(
                    clientID: 0, memoryBudgetBytes: 64 << 20, computeFLOPsPerSecond: 2e9,
                    uplinkBitsPerSecond: 1e6, downlinkBitsPerSecond: 1e7, latencySeconds: 0.05,
                    extra: ["device": "rpi4"]),
                ClientCapabilities(clientID: 7, memoryBudgetBytes: .max),
            ], softwareVersion: "orchard 0.1")
        let welcome = Welcome(
            topologyName: "quickstart", seed: .max, acceptedClientRanges: [0...0, 7...7],
            heartbeatIntervalMilliseconds: 250, heartbeatLiveness: 4, settings: ["dataset": "synthetic"])
        let task = TaskAssignment(
            taskID: 1 << 40, clientID: 7, kind: .train, model: "lenet5",
            hyperparameters: ["lr": 0.05, "epochs": 2, "weight_decay": 5e-4], settings: ["criterion": "magnitude"],
            timeoutMilliseconds: 60_000)
        let result = TaskResult(
            taskID: 1 << 40, clientID: 7, status: .ok,
            metrics: ["samples": 600, "loss": 0.42, "accuracy": 0.91, "peak_memory_bytes": 3.5e6])
        return [
            Message(body: .hello(hello)),
            Message(runID: 99, body: .welcome(welcome)),
            Message(runID: 99, round: 3, body: .task(task), tensors: [weights, bias, scalar, empty]),
            Message(runID: 99, round: 3, body: .result(result), tensors: [weights, bias]),
            Message(
                runID: 99, round: 3,
                body: .result(TaskResult(taskID: 5, clientID: 0, status: .refused, reason: "needs 80 MB"))),
            Message(runID: 99, body: .heartbeat(Heartbeat(hostID: "host-α", sequence: 12, sentUnixNanoseconds: 1))),
            Message(
                runID: 99,
                body: .error(ErrorReport(code: .malformed, message: "frame 2: too short", offendingKind: 4))),
            Message(runID: 99, body: .shutdown(Shutdown(reason: "finished"))),
        ]
    }

    /// A task carrying one dense tensor of the given shape.
    static func task(tensorShape: [Int], seed: UInt64 = 3) -> Message {
        var random = RandomStream(seed: seed)
        let frame = TensorFrame(name: "w", tensor: tensor(tensorShape, random: &random))
        return Message(
            runID: 1, round: 1, body: .task(TaskAssignment(taskID: 1, clientID: 2, kind: .train)), tensors: [frame])
    }
}

/// The reason decoding `frames` fails for, or `nil` if it decodes.
func rejection(_ frames: [[UInt8]], limits: DecodingLimits = .standard) -> WireError.Reason? {
    rejectionError(frames, limits: limits)?.reason
}

/// The error decoding `frames` fails with, or `nil` if it decodes.
func rejectionError(_ frames: [[UInt8]], limits: DecodingLimits = .standard) -> WireError? {
    do {
        _ = try MessageCodec(limits: limits).decode(frames)
        return nil
    } catch {
        return error
    }
}

/// The frames of a message whose envelope was changed after encoding, to build invalid input.
func frames(of message: Message, editing edit: (inout WireEnvelope) -> Void) throws -> [[UInt8]] {
    var frames = try MessageCodec().encode(message).byteArrays
    var envelope = try WireEnvelope(serializedBytes: frames[0])
    edit(&envelope)
    frames[0] = try envelope.serializedBytes()
    return frames
}
