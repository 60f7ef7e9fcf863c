import Foundation
import OrchardNN
import SwiftProtobuf

/// The ONNX graph of a network: its nodes, its initializers, dense or sparse, and its one input and output.
///
/// Orchard's layers map one to one onto ONNX operators of opset 17 (`Conv`, `Gemm`,
/// `BatchNormalization` in inference mode, `Relu`, `MaxPool`, `AveragePool`, `GlobalAveragePool`,
/// `Flatten`, `Add`); a residual block becomes its convolutions, batch norms, shortcut, `Add` and
/// `Relu`. Orchard's channel-major layout is internal: the graph is NCHW as PyTorch's is. Node and
/// initializer names follow the parameter names (`layer1.0.conv1.weight`).
struct ONNXGraph {
    /// Whether pruned weights are written as `SparseTensorProto` initializers (else dense, zeros included).
    let sparse: Bool
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private(set) var sparseInitializers: [Onnx_SparseTensorProto] = []
    private var masks: [String: [Int32]] = [:]

    init(sparse: Bool, masks: [String: [Int32]]) {
        self.sparse = sparse
        self.masks = masks
    }

    /// Adds a node of `operation` and returns the name of its output.
    @discardableResult
    mutating func add(
        _ operation: String, name: String, inputs: [String], attributes: [Onnx_AttributeProto] = [],
        output: String? = nil
    ) -> String {
        var node = Onnx_NodeProto()
        node.opType = operation
        node.name = name
        node.input = inputs
        node.output = [output ?? name + ":" + operation]
        node.attribute = attributes
        nodes.append(node)
        return node.output[0]
    }

    /// Adds `parameter`'s values as the initializer `name`, sparse when it is pruned and `sparse` is set.
    mutating func addInitializer(_ name: String, _ parameter: Parameter) {
        let dense = parameter.denseValue()
        let values = withExtendedLifetime(dense) { Array(UnsafeBufferPointer(start: dense.data, count: dense.count)) }
        if sparse, let kept = masks[name] {
            var sparseTensor = Onnx_SparseTensorProto()
            sparseTensor.dims = parameter.shape.map(Int64.init)
            sparseTensor.values = Self.tensor(name, shape: [kept.count], floats: kept.map { values[Int($0)] })
            var indices = Onnx_TensorProto()
            indices.name = name + ".indices"
            indices.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            indices.dims = [Int64(kept.count)]
            indices.int64Data = kept.map(Int64.init)
            sparseTensor.indices = indices
            sparseInitializers.append(sparseTensor)
        } else {
            initializers.append(Self.tensor(name, shape: parameter.shape, floats: values))
        }
    }

    /// Adds a float32 constant initializer.
    mutating func addConstant(_ name: String, shape: [Int], floats: [Float]) {
        initializers.append(Self.tensor(name, shape: shape, floats: floats))
    }

    /// A float32 tensor with its values as little-endian raw data.
    static func tensor(_ name: String, shape: [Int], floats: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = shape.map(Int64.init)
        var bytes = [UInt8]()
        bytes.reserveCapacity(floats.count * 4)
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        tensor.rawData = Data(bytes)
        return tensor
    }

    /// An attribute holding a list of integers.
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    /// An attribute holding one integer.
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    /// An attribute holding one float.
    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .float
        attribute.f = value
        return attribute
    }
}
