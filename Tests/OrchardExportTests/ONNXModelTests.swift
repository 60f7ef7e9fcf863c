import Foundation
import OrchardNN
import SwiftProtobuf
import Testing

@testable import OrchardExport

@Suite struct ONNXModelTests {
    static func decode(_ network: Network, sparse: Bool, normalisation: ONNXModel.Normalisation?) throws
        -> Onnx_ModelProto
    {
        let bytes = try ONNXModel.encode(
            network, normalisation: normalisation, sparse: sparse, metadata: ["round": "4"], producerVersion: "test")
        return try Onnx_ModelProto(serializedBytes: bytes)
    }

    @Test func lenetIsItsLayersAfterTheNormalisation() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10)
        let model = try Self.decode(
            network, sparse: true, normalisation: ONNXModel.Normalisation(mean: [0.1307], std: [0.3081]))
        #expect(model.irVersion == 8 && model.opsetImport.map(\.version) == [17])
        #expect(model.metadataProps.map { "\($0.key)=\($0.value)" } == ["round=4"])
        #expect(
            model.graph.node.map(\.opType) == [
                "Sub", "Div", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm",
                "Relu", "Gemm", "Identity",
            ])
        // Each node reads the one before.
        for (previous, node) in zip(model.graph.node, model.graph.node.dropFirst()) {
            #expect(node.input.first == previous.output.first)
        }
        #expect(model.graph.input[0].type.tensorType.shape.dim.map(\.dimParam) == ["N", "", "", ""])
        #expect(model.graph.input[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 1, 28, 28])
        #expect(model.graph.output[0].name == "logits")
        #expect(model.graph.sparseInitializer.isEmpty)
        let names = Set(model.graph.initializer.map(\.name))
        #expect(names.isSuperset(of: network.parameters.map(\.name)) && names.contains("input_mean"))
        let conv = try #require(model.graph.initializer.first { $0.name == "conv1.weight" })
        #expect(conv.dims == [6, 1, 5, 5] && conv.rawData.count == 150 * 4)
    }

    @Test func prunedWeightsAreSparseUnlessDense() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10)
        try network.applyMasks(["fc1.weight": [3, 70, 4000]], batch: 1, storage: .masked)
        let sparse = try Self.decode(network, sparse: true, normalisation: nil)
        let weight = try #require(sparse.graph.sparseInitializer.first)
        #expect(sparse.graph.sparseInitializer.count == 1)
        #expect(weight.values.name == "fc1.weight" && weight.dims == [120, 400])
        #expect(weight.indices.int64Data == [3, 70, 4000] && weight.values.dims == [3])
        #expect(!sparse.graph.initializer.contains { $0.name == "fc1.weight" })
        #expect(sparse.graph.node.first?.opType == "Conv")
        let dense = try Self.decode(network, sparse: false, normalisation: nil)
        #expect(dense.graph.sparseInitializer.isEmpty && dense.graph.initializer.contains { $0.name == "fc1.weight" })
    }

    @Test func residualBlocksAddTheirShortcut() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 8, 8], classes: 4, width: 0.25)
        let model = try Self.decode(network, sparse: true, normalisation: nil)
        let operations = model.graph.node.map(\.opType)
        #expect(operations.filter { $0 == "Add" }.count == 3)
        #expect(
            operations.filter { $0 == "BatchNormalization" }.count
                == network.parameters.filter { $0.name.hasSuffix("running_mean") }.count)
        let add = try #require(model.graph.node.first { $0.name == "layer2.0.add" })
        #expect(add.input[1] == "layer2.0.downsample.1:BatchNormalization")
        #expect(operations.suffix(4) == ["GlobalAveragePool", "Flatten", "Gemm", "Identity"])
    }
}

/// A small width for the models that have one, so that the tests stay fast.
enum ModelSpecWidth {
    static func of(_ name: String) -> Double { name == "vgg11" || name.hasPrefix("resnet") ? 0.125 : 1 }
}

@Suite struct ZooExportTests {
    @Test(arguments: ModelZoo.names)
    func everyModelExportsInBothFormats(name: String) throws {
        let image = ["lenet5", "logreg", "mlp"].contains(name) ? [1, 28, 28] : [3, 32, 32]
        let width = ModelSpecWidth.of(name)
        let network = try ModelZoo.make(name, sampleShape: image, classes: 10, width: width)
        let model = try ONNXModelTests.decode(network, sparse: true, normalisation: nil)
        let initializers = Set(model.graph.initializer.map(\.name))
        #expect(network.parameters.allSatisfy { initializers.contains($0.name) })
        // Every node reads the input, an initializer or an earlier node's output.
        var known = initializers.union(["input"])
        for node in model.graph.node {
            #expect(node.input.allSatisfy { known.contains($0) }, "\(node.name) reads an unknown value")
            known.formUnion(node.output)
        }
        #expect(model.graph.node.last?.output == ["logits"])
        let file = try SafeTensorsFile(
            decoding: SafeTensorsFile(tensors: StateDictionary.tensors(of: network, masks: true)).encoded())
        let copy = try ModelZoo.make(name, sampleShape: image, classes: 10, width: width, seed: 9)
        try StateDictionary.archive(from: file, for: copy, source: name).load(into: copy)
        #expect(ParameterArchive(copy).values == ParameterArchive(network).values)
    }
}
