import OrchardNN

extension ONNXGraph {
    /// Adds the nodes of `layer`, called `name`, reading the value `input`; returns its output's name.
    mutating func add(_ layer: any Layer, name: String, input: String) throws(ExportError) -> String {
        switch layer {
        case let chain as Sequential:
            var value = input
            for entry in chain.layers { value = try add(entry.layer, name: joined(name, entry.name), input: value) }
            return value
        case is ChannelMajor:
            // The graph is NCHW throughout; Orchard's channel-major layout is internal.
            return input
        case is Flatten, is SampleRows:
            return add("Flatten", name: name, inputs: [input], attributes: [Self.int("axis", 1)])
        case let convolution as Conv2d:
            return addConvolution(convolution, name: name, input: input)
        case let linear as Linear:
            addInitializer(joined(name, "weight"), linear.weight)
            var inputs = [input, joined(name, "weight")]
            if let bias = linear.bias {
                addInitializer(joined(name, "bias"), bias)
                inputs.append(joined(name, "bias"))
            }
            return add("Gemm", name: name, inputs: inputs, attributes: [Self.int("transB", 1)])
        case let norm as BatchNorm:
            return addNorm(norm, name: name, input: input)
        case is ReLU:
            return add("Relu", name: name, inputs: [input])
        case let pool as MaxPool2d:
            return add("MaxPool", name: name, inputs: [input], attributes: window(pool.kernelSize, pool.stride))
        case let pool as AvgPool2d:
            return add("AveragePool", name: name, inputs: [input], attributes: window(pool.kernelSize, pool.stride))
        case is GlobalAvgPool:
            return add("GlobalAveragePool", name: name, inputs: [input])
        case let block as BasicBlock:
            return addBlock(block, name: name, input: input)
        default:
            throw ExportError("layer '\(name)' (\(type(of: layer))) has no ONNX form")
        }
    }

    private func joined(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }

    private func window(_ kernel: Int, _ stride: Int) -> [Onnx_AttributeProto] {
        [Self.ints("kernel_shape", [kernel, kernel]), Self.ints("strides", [stride, stride])]
    }

    private mutating func addConvolution(_ convolution: Conv2d, name: String, input: String) -> String {
        addInitializer(joined(name, "weight"), convolution.weight)
        var inputs = [input, joined(name, "weight")]
        if let bias = convolution.bias {
            addInitializer(joined(name, "bias"), bias)
            inputs.append(joined(name, "bias"))
        }
        let attributes = [
            Self.ints("kernel_shape", [convolution.kernelSize, convolution.kernelSize]),
            Self.ints("strides", [convolution.stride, convolution.stride]),
            Self.ints("pads", Array(repeating: convolution.padding, count: 4)),
        ]
        return add("Conv", name: name, inputs: inputs, attributes: attributes)
    }

    private mutating func addNorm(_ norm: BatchNorm, name: String, input: String) -> String {
        let parts: [(String, Parameter)] = [
            ("weight", norm.scale), ("bias", norm.shift), ("running_mean", norm.runningMean),
            ("running_var", norm.runningVariance),
        ]
        for (suffix, parameter) in parts { addInitializer(joined(name, suffix), parameter) }
        return add(
            "BatchNormalization", name: name, inputs: [input] + parts.map { joined(name, $0.0) },
            attributes: [Self.float("epsilon", norm.epsilon), Self.float("momentum", 1 - norm.momentum)])
    }

    /// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
    private mutating func addBlock(_ block: BasicBlock, name: String, input: String) -> String {
        var main = addConvolution(block.conv1, name: joined(name, "conv1"), input: input)
        main = addNorm(block.bn1, name: joined(name, "bn1"), input: main)
        main = add("Relu", name: joined(name, "relu1"), inputs: [main])
        main = addConvolution(block.conv2, name: joined(name, "conv2"), input: main)
        main = addNorm(block.bn2, name: joined(name, "bn2"), input: main)
        var shortcut = input
        if let downsample = block.downsample, downsample.layers.count == 2,
            let projection = downsample.layers[0].layer as? Conv2d, let norm = downsample.layers[1].layer as? BatchNorm
        {
            shortcut = addConvolution(projection, name: joined(name, "downsample.0"), input: input)
            shortcut = addNorm(norm, name: joined(name, "downsample.1"), input: shortcut)
        }
        let sum = add("Add", name: joined(name, "add"), inputs: [main, shortcut])
        return add("Relu", name: joined(name, "relu2"), inputs: [sum])
    }
}

/// A model or run that cannot be exported as asked.
public struct ExportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
