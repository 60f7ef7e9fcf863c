import OrchardFederation
import OrchardNN
import OrchardPayload
import OrchardTensor
import OrchardWire
import Testing

@testable import OrchardRuntime

/// Masks go down only when the receiver lacks them: what a device is counted, what a host is sent,
/// and how a host resolves values sent alone.
@Suite("Mask transfer")
struct MaskTransferTests {
    static let shape = [12, 20]
    static let kept: [Int32] = [0, 7, 8, 31, 100, 101, 150, 239]

    /// A train task with a pruned weight and a dense bias.
    static func task(client: Int = 4, round: Int = 3) -> ClientTask {
        let values = kept.indices.map { Float($0) * 0.5 - 1 }
        return ClientTask(
            client: client, round: round, kind: .train,
            tensors: [
                NamedTensor(name: "fc.weight", payload: .sparse(shape: shape, indices: kept, values: values)),
                NamedTensor(name: "fc.bias", tensor: Tensor(shape: [12], values: (0..<12).map { Float($0) })),
            ])
    }

    /// The task's frames as they arrive: encoded, sent, decoded.
    static func received(_ task: ClientTask, holds: (String, UInt64) -> Int?) throws -> (Message, WireSize) {
        var frames = TaskFrames()
        let message = TaskMessages.message(
            task, taskID: 1, runID: 1, model: "mlp", timeoutSeconds: 10,
            frames: try frames.frames(for: task, holds: holds))
        let codec = MessageCodec()
        let decoded = try codec.decode(try codec.encode(message).byteArrays)
        return (decoded.message, decoded.size)
    }

    @Test func aDeviceHoldingTheMaskGetsValuesAloneAndTheModelIsTheOneSent() throws {
        let task = Self.task()
        let (full, fullSize) = try Self.received(task) { _, _ in nil }
        let (values, valuesSize) = try Self.received(task) { name, _ in name == "fc.weight" ? 2 : nil }
        #expect(full.tensors.map(\.name) == ["fc.weight", "fc.bias"])
        #expect(full.tensors[0].encoding == .bitmapF32 || full.tensors[0].encoding == .deltaF32)
        #expect(values.tensors.map(\.name) == ["fc.weight", "mask:fc.weight", "fc.bias"])
        #expect(values.tensors[0].encoding == .denseF32 && values.tensors[0].shape == [Self.kept.count])
        let reference = values.tensors[1]
        #expect(reference.encoding == .maskUnchanged && reference.sinceRound == 2 && reference.shape == Self.shape)
        #expect(reference.maskDigest == MaskDigest.of(shape: Self.shape, positions: Self.kept))
        #expect(valuesSize.tensorBytes < fullSize.tensorBytes)
        #expect(valuesSize.analyticMinimumBytes < fullSize.analyticMinimumBytes)

        // A host that got the positions once resolves the values sent alone into the same model.
        var cache = HostMaskCache()
        let first = try cache.tensors(from: full.tensors, client: 4, round: 3)
        let second = try cache.tensors(from: values.tensors, client: 5, round: 3)
        for resolved in [first, second] {
            #expect(resolved.map(\.name) == task.tensors.map(\.name))
            #expect(zip(resolved, task.tensors).allSatisfy { $0.payload == $1.payload })
        }
        #expect(cache.entries.count == 1)
    }

    @Test func aReferenceToAMaskTheHostLacksIsAnErrorNamingTensorAndClient() throws {
        let (values, _) = try Self.received(Self.task()) { _, _ in 1 }
        var cache = HostMaskCache()
        let error = #expect(throws: MissingMaskError.self) {
            try cache.tensors(from: values.tensors, client: 4, round: 3)
        }
        let text = error?.description ?? ""
        #expect(text.contains("'fc.weight'") && text.contains("client 4") && text.contains("does not hold"), "\(text)")

        // Another mask under the same name does not resolve it either.
        let other = ClientTask(
            client: 4, round: 3, kind: .train,
            tensors: [
                NamedTensor(name: "fc.weight", payload: .sparse(shape: Self.shape, indices: [1, 2], values: [1, 2]))
            ])
        _ = try cache.tensors(from: try Self.received(other) { _, _ in nil }.0.tensors, client: 4, round: 3)
        #expect(throws: MissingMaskError.self) { try cache.tensors(from: values.tensors, client: 4, round: 3) }
    }

    @Test func devicesHoldWhatTheyGotOrSentAndForgetOnFailure() throws {
        let sent = [TaskFrames.SparseEntry(name: "fc.weight", shape: Self.shape, digest: 11)]
        var devices = DeviceMasks()
        let valuesAlone = ClientResult(
            client: 1, round: 2, kind: .train,
            tensors: [NamedTensor(name: "fc.weight", tensor: Tensor(shape: [8], values: Array(repeating: 1, count: 8)))]
        )
        devices.update(client: 1, round: 2, sent: sent, result: valuesAlone)
        #expect(devices.since(client: 1, name: "fc.weight", digest: 11) == 2)
        devices.update(client: 1, round: 5, sent: sent, result: valuesAlone)
        #expect(devices.since(client: 1, name: "fc.weight", digest: 11) == 2)

        let moved = ClientResult(
            client: 2, round: 2, kind: .train,
            tensors: [
                NamedTensor(name: "fc.weight", payload: .sparse(shape: Self.shape, indices: [1, 2], values: [1, 2]))
            ])
        devices.update(client: 2, round: 2, sent: sent, result: moved)
        #expect(devices.since(client: 2, name: "fc.weight", digest: 11) == nil)
        #expect(
            devices.since(client: 2, name: "fc.weight", digest: MaskDigest.of(shape: Self.shape, positions: [1, 2]))
                == 2)
        devices.update(
            client: 3, round: 2, sent: sent, result: ClientResult(client: 3, round: 2, kind: .train, outcome: .refused)
        )
        #expect(devices.since(client: 3, name: "fc.weight", digest: 11) == 2)

        let restored = try CheckpointExtra.split(CheckpointExtra.combine(method: [9, 8, 7], devices: devices))
        #expect(restored.method == [9, 8, 7] && restored.devices == devices)
        #expect(try DeviceMasks(decoding: devices.encoded()) == devices)

        devices.update(client: 1, round: 6, sent: sent, result: nil)
        devices.update(
            client: 2, round: 6, sent: sent, result: ClientResult(client: 2, round: 6, kind: .train, outcome: .error))
        #expect(devices.since(client: 1, name: "fc.weight", digest: 11) == nil)
        #expect(devices.held[2] == nil)
    }

    @Test func checkpointsWithoutDeviceMasksStillRestore() throws {
        let old = try CheckpointExtra.split([1, 0, 0, 0, 65])
        #expect(old.method == [1, 0, 0, 0, 65] && old.devices == DeviceMasks())
        #expect(CheckpointExtra.combine(method: nil, devices: DeviceMasks()) == nil)
        let damaged = Array(
            CheckpointExtra.combine(method: nil, devices: DeviceMasks())
                ?? CheckpointExtra.magic + [0, 0, 0, 0, 0, 0, 0, 0, 0, 7])
        #expect(throws: ArchiveError.self) { try CheckpointExtra.split(damaged) }
        // A method state's length past Int's range is an error, not a trap.
        let huge = CheckpointExtra.magic + [1] + [UInt8](repeating: 0xFF, count: 8)
        #expect(throws: RuntimeError.self) { try CheckpointExtra.split(huge) }
    }
}
