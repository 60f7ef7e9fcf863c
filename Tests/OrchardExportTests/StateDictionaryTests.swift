import OrchardExport
import OrchardNN
import Testing

@Suite struct StateDictionaryTests {
    static func lenet(seed: UInt64) throws -> Network {
        try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: seed)
    }

    static func values(_ network: Network) -> [Float] { ParameterArchive(network).values }

    @Test func exportedStateLoadsIntoAnotherNetworkOfTheModel() throws {
        let source = try Self.lenet(seed: 1)
        let target = try Self.lenet(seed: 2)
        #expect(Self.values(source) != Self.values(target))
        let file = try SafeTensorsFile(
            decoding: SafeTensorsFile(tensors: StateDictionary.tensors(of: source, masks: false)).encoded())
        #expect(file.tensors.map(\.name) == source.parameters.map(\.name))
        try StateDictionary.archive(from: file, for: target, source: "test").load(into: target)
        #expect(Self.values(source) == Self.values(target))
    }

    @Test func masksAreWrittenAndZeroTheWeightsOnImport() throws {
        let source = try Self.lenet(seed: 1)
        try source.applyMasks(["fc3.weight": [0, 5, 839]], batch: 1, storage: .masked)
        let tensors = StateDictionary.tensors(of: source, masks: true)
        let mask = try #require(tensors.first { $0.name == "fc3.weight.mask" })
        #expect(mask.dtype == .uint8 && mask.shape == [10, 84] && mask.bytes.reduce(0) { $0 + Int($1) } == 3)
        // The file's weight is dense with values everywhere; the mask decides what is kept.
        var edited = tensors
        let index = try #require(edited.firstIndex { $0.name == "fc3.weight" })
        edited[index] = SafeTensor(name: "fc3.weight", shape: [10, 84], floats: Array(repeating: 2, count: 840))
        let target = try Self.lenet(seed: 2)
        try StateDictionary.archive(from: SafeTensorsFile(tensors: edited), for: target, source: "test").load(
            into: target)
        let loaded = Array(UnsafeBufferPointer(start: target.parameter(named: "fc3.weight")!.value.data, count: 840))
        #expect(loaded.filter { $0 != 0 }.count == 3 && loaded[5] == 2)
    }

    @Test func ignoresPyTorchBatchCounters() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 8, 8], classes: 4, width: 0.25)
        var tensors = StateDictionary.tensors(of: network, masks: false)
        tensors.append(
            SafeTensor(name: "bn1.num_batches_tracked", dtype: .int64, shape: [], bytes: [3, 0, 0, 0, 0, 0, 0, 0]))
        _ = try StateDictionary.archive(from: SafeTensorsFile(tensors: tensors), for: network, source: "test")
    }

    static func importError(_ edit: (inout [SafeTensor]) -> Void) throws -> String {
        let network = try lenet(seed: 1)
        var tensors = StateDictionary.tensors(of: network, masks: false)
        edit(&tensors)
        do {
            _ = try StateDictionary.archive(
                from: SafeTensorsFile(tensors: tensors), for: network, source: "w.safetensors")
        } catch {
            return error.description
        }
        return "no error"
    }

    @Test func namesWhatIsMissingOrUnexpected() throws {
        let missing = try Self.importError { $0.removeAll { $0.name == "conv2.bias" } }
        #expect(missing == "w.safetensors: lenet5 needs 'conv2.bias', which the file lacks")
        let renamed = try Self.importError { $0[0].name = "features.0.weight" }
        #expect(renamed.contains("needs 'conv1.weight'") && renamed.contains("has 'features.0.weight'"))
        let extra = try Self.importError { $0.append(SafeTensor(name: "fc4.weight", shape: [1], floats: [0])) }
        #expect(extra == "w.safetensors: lenet5 has no tensor named 'fc4.weight'")
    }

    @Test func namesWrongShapesTypesAndValues() throws {
        let shape = try Self.importError { $0[1] = SafeTensor(name: "conv1.bias", shape: [3], floats: [0, 0, 0]) }
        #expect(shape == "w.safetensors: tensor 'conv1.bias' has shape [3] but the model's is [6]")
        let type = try Self.importError {
            $0[1] = SafeTensor(name: "conv1.bias", dtype: .float16, shape: [6], bytes: Array(repeating: 0, count: 12))
        }
        #expect(type == "w.safetensors: tensor 'conv1.bias' is F16; Orchard reads F32 weights")
        let nan = try Self.importError {
            $0[1] = SafeTensor(name: "conv1.bias", shape: [6], floats: [0, 0, .nan, 0, 0, 0])
        }
        #expect(nan.contains("'conv1.bias' holds nan at flat index 2"))
        let mask = try Self.importError {
            $0.append(SafeTensor(name: "conv1.bias.mask", dtype: .uint8, shape: [6], bytes: [1, 1, 2, 1, 1, 1]))
        }
        #expect(mask.contains("mask 'conv1.bias.mask' holds 2 at flat index 2"))
    }
}
