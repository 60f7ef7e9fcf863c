import Foundation
import OrchardNN
import SwiftProtobuf

/// Writes a network as an ONNX model: the graph from images to logits, its weights and the run's metadata.
public enum ONNXModel {
    /// The operator set the graph uses.
    public static let opset: Int64 = 17
    /// The IR version of the file: 8, the one opset 17 came with, so that older readers accept it.
    public static let irVersion: Int64 = 8
    /// The graph's input: images as `byte / 255`, NCHW float32.
    public static let inputName = "input"
    /// The graph's output: logits [N, classes].
    public static let outputName = "logits"

    /// How image pixels become the model's input: per-channel `(x - mean) / std` on `x = byte / 255`.
    public struct Normalisation: Sendable, Equatable {
        public var mean: [Float]
        public var std: [Float]

        public init(mean: [Float], std: [Float]) {
            self.mean = mean
            self.std = std
        }
    }

    /// The serialized ONNX model of `network`.
    ///
    /// - Parameters:
    ///   - normalisation: the data set's, put in front of the network as `Sub` and `Div` nodes; nil
    ///     when the samples are features rather than image bytes.
    ///   - sparse: whether pruned weights are written as `SparseTensorProto` initializers.
    ///   - metadata: the `metadata_props` of the model.
    public static func encode(
        _ network: Network, normalisation: Normalisation?, sparse: Bool, metadata: [String: String],
        producerVersion: String
    ) throws -> [UInt8] {
        var graph = ONNXGraph(sparse: sparse, masks: network.masks)
        var value = inputName
        if let normalisation {
            let channels = network.sampleShape.first ?? 0
            guard normalisation.mean.count == channels, normalisation.std.count == channels else {
                throw ExportError(
                    "the data set normalises \(normalisation.mean.count) channels but \(network.name) takes \(channels)"
                )
            }
            let shape = [1, channels] + Array(repeating: 1, count: network.sampleShape.count - 1)
            graph.addConstant("input_mean", shape: shape, floats: normalisation.mean)
            graph.addConstant("input_std", shape: shape, floats: normalisation.std)
            value = graph.add("Sub", name: "normalise.sub", inputs: [value, "input_mean"])
            value = graph.add("Div", name: "normalise.div", inputs: [value, "input_std"])
        }
        let logits = try graph.add(network.body, name: "", input: value)
        graph.add("Identity", name: "output", inputs: [logits], output: outputName)

        var proto = Onnx_GraphProto()
        proto.name = network.name
        proto.node = graph.nodes
        proto.initializer = graph.initializers
        proto.sparseInitializer = graph.sparseInitializers
        proto.input = [valueInfo(inputName, dimensions: ["N"] + network.sampleShape.map { "\($0)" })]
        proto.output = [valueInfo(outputName, dimensions: ["N", "\(network.classes)"])]
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opsetImport = Onnx_OperatorSetIdProto()
        opsetImport.domain = ""
        opsetImport.version = opset
        model.opsetImport = [opsetImport]
        model.producerName = "orchard"
        model.producerVersion = producerVersion
        model.graph = proto
        model.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return [UInt8](try model.serializedData())
    }

    /// A float32 tensor value whose dimensions are numbers, or names for symbolic ones such as `N`.
    private static func valueInfo(_ name: String, dimensions: [String]) -> Onnx_ValueInfoProto {
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { text in
            var dimension = Onnx_TensorShapeProto.Dimension()
            if let value = Int64(text) { dimension.dimValue = value } else { dimension.dimParam = text }
            return dimension
        }
        tensorType.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
