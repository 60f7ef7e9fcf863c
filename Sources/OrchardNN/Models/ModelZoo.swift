import OrchardTensor

/// The models Orchard can build by name, with PyTorch-compatible parameter names.
public enum ModelZoo {
    /// Every model name `make` accepts.
    public static let names = ["logreg", "mlp", "lenet5", "vgg11", "resnet18", "resnet8", "resnet14", "resnet20"]

    /// Builds a model for samples of `sampleShape` ([C, H, W] images or [F] features).
    ///
    /// - Parameters:
    ///   - width: multiplies every channel count of VGG and the ResNets (at least one channel stays).
    ///   - seed: the run seed; initial weights come from its `init` stream.
    public static func make(_ name: String, sampleShape: [Int], classes: Int, width: Double = 1, seed: UInt64 = 0)
        throws -> Network
    {
        var random = RandomStream(seed: seed, purpose: "init")
        let body: Sequential
        switch name {
        case "logreg":
            body = Sequential([
                ("flatten", SampleRows()), ("fc", Linear(features(sampleShape), classes, random: &random)),
            ])
        case "mlp":
            body = multilayerPerceptron(inputs: features(sampleShape), classes: classes, random: &random)
        case "lenet5":
            body = try lenet5(try image(sampleShape, name), classes: classes, random: &random)
        case "vgg11":
            body = try vgg11(try image(sampleShape, name), classes: classes, width: width, random: &random)
        case "resnet18":
            body = try resnet(
                try image(sampleShape, name), stages: [64, 128, 256, 512], blocks: 2, classes: classes, width: width,
                random: &random)
        case "resnet8", "resnet14", "resnet20":
            let blocks = ["resnet8": 1, "resnet14": 2, "resnet20": 3][name]!
            body = try resnet(
                try image(sampleShape, name), stages: [16, 32, 64], blocks: blocks, classes: classes, width: width,
                random: &random)
        default:
            throw ModelError("unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
        }
        return Network(name: name, sampleShape: sampleShape, classes: classes, body: body)
    }

    private static func features(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    private static func image(_ shape: [Int], _ model: String) throws -> (channels: Int, height: Int, width: Int) {
        guard shape.count == 3 else { throw ModelError("\(model) needs image samples [C, H, W], got \(shape)") }
        return (shape[0], shape[1], shape[2])
    }

    private static func scaled(_ channels: Int, _ width: Double) -> Int {
        max(1, Int((Double(channels) * width).rounded()))
    }

    /// MLP 784-300-100-10 (for MNIST): two ReLU hidden layers.
    static func multilayerPerceptron(inputs: Int, classes: Int, random: inout RandomStream) -> Sequential {
        Sequential([
            ("flatten", SampleRows()),
            ("fc1", Linear(inputs, 300, random: &random)), ("relu1", ReLU()),
            ("fc2", Linear(300, 100, random: &random)), ("relu2", ReLU()),
            ("fc3", Linear(100, classes, random: &random)),
        ])
    }

    /// LeNet-5 as in the PyTorch tutorials: conv 5x5 to 6 channels (padding 2), max-pool, conv 5x5 to
    /// 16, max-pool, then 120-84-classes, all with ReLU; 61,706 parameters on MNIST.
    static func lenet5(_ input: (channels: Int, height: Int, width: Int), classes: Int, random: inout RandomStream)
        throws -> Sequential
    {
        let convolutions: [(String, any Layer)] = [
            ("layout", ChannelMajor()),
            ("conv1", Conv2d(input.channels, 6, kernelSize: 5, padding: 2, random: &random)), ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernelSize: 2)),
            ("conv2", Conv2d(6, 16, kernelSize: 5, random: &random)), ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernelSize: 2)),
            ("flatten", Flatten()),
        ]
        let flat = try flattenedSize(convolutions, input, model: "lenet5")
        return Sequential(
            convolutions + [
                ("fc1", Linear(flat, 120, random: &random)), ("relu3", ReLU()),
                ("fc2", Linear(120, 84, random: &random)), ("relu4", ReLU()),
                ("fc3", Linear(84, classes, random: &random)),
            ])
    }

    /// VGG-11 with batch norm for small images: eight 3x3 convolutions with five max-pools, then a
    /// 512-512-classes classifier (the ImageNet head's 4096-wide layers would dwarf the rest at 32x32).
    static func vgg11(
        _ input: (channels: Int, height: Int, width: Int), classes: Int, width: Double, random: inout RandomStream
    ) throws -> Sequential {
        let plan: [Int?] = [64, nil, 128, nil, 256, 256, nil, 512, 512, nil, 512, 512, nil]
        var layers: [(String, any Layer)] = []
        var channels = input.channels
        for entry in plan {
            if let outputs = entry.map({ scaled($0, width) }) {
                layers.append(
                    (
                        "\(layers.count)",
                        Conv2d(
                            channels, outputs, kernelSize: 3, padding: 1, initializer: .kaimingNormalFanOut,
                            random: &random)
                    ))
                layers.append(("\(layers.count)", BatchNorm(outputs)))
                layers.append(("\(layers.count)", ReLU()))
                channels = outputs
            } else {
                layers.append(("\(layers.count)", MaxPool2d(kernelSize: 2)))
            }
        }
        let features = Sequential(layers)
        let head: [(String, any Layer)] = [("layout", ChannelMajor()), ("features", features), ("flatten", Flatten())]
        let flat = try flattenedSize(head, input, model: "vgg11")
        let hidden = scaled(512, width)
        let classifier = Sequential([
            ("0", Linear(flat, hidden, random: &random)), ("1", ReLU()),
            ("2", Linear(hidden, hidden, random: &random)), ("3", ReLU()),
            ("4", Linear(hidden, classes, random: &random)),
        ])
        return Sequential(head + [("classifier", classifier)])
    }

    /// A CIFAR ResNet: 3x3 stem, no max-pool, one stage per entry of `stages` (the first at stride 1,
    /// the others at stride 2) of `blocks` basic blocks, global average pool and a linear head.
    static func resnet(
        _ input: (channels: Int, height: Int, width: Int), stages: [Int], blocks: Int, classes: Int, width: Double,
        random: inout RandomStream
    ) throws -> Sequential {
        let stem = scaled(stages[0], width)
        var layers: [(String, any Layer)] = [
            ("layout", ChannelMajor()),
            (
                "conv1",
                Conv2d(
                    input.channels, stem, kernelSize: 3, padding: 1, bias: false, initializer: .kaimingNormalFanOut,
                    random: &random)
            ),
            ("bn1", BatchNorm(stem)), ("relu", ReLU()),
        ]
        var channels = stem
        for (stage, base) in stages.enumerated() {
            let outputs = scaled(base, width)
            var stageBlocks: [(String, any Layer)] = []
            for block in 0..<blocks {
                let stride = (stage > 0 && block == 0) ? 2 : 1
                stageBlocks.append(("\(block)", BasicBlock(channels, outputs, stride: stride, random: &random)))
                channels = outputs
            }
            layers.append(("layer\(stage + 1)", Sequential(stageBlocks)))
        }
        layers.append(("avgpool", GlobalAvgPool()))
        layers.append(("flatten", Flatten()))
        layers.append(("fc", Linear(channels, classes, random: &random)))
        _ = try flattenedSize(layers, input, model: "resnet")
        return Sequential(layers)
    }

    /// The features per sample after `layers`, or an error if the image is too small for them.
    private static func flattenedSize(
        _ layers: [(String, any Layer)], _ input: (channels: Int, height: Int, width: Int), model: String
    ) throws -> Int {
        var shape = [1, input.channels, input.height, input.width]
        for (name, layer) in layers {
            shape = layer.outputShape(for: shape)
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw ModelError("\(model): a \(input.height)x\(input.width) image is too small for layer \(name)")
            }
        }
        return shape.dropFirst().reduce(1, *)
    }
}

/// A model that cannot be built as asked.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
