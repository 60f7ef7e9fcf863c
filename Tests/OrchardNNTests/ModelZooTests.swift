import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Model zoo")
struct ModelZooTests {
    /// Trained parameters of each zoo model.
    ///
    /// Reference counts: PyTorch's for the same definitions (ResNet-18 for CIFAR 11,173,962;
    /// resnet14 is the FedTiny library's 175,258). VGG-11: eight conv+BN layers (9,220,480 + 5,504)
    /// and the 512-512-10 head (525,312 + 5,130).
    @Test(arguments: [
        ("logreg", [1, 28, 28], 7850), ("mlp", [1, 28, 28], 266_610), ("lenet5", [1, 28, 28], 61_706),
        ("resnet8", [3, 32, 32], 78_042), ("resnet14", [3, 32, 32], 175_258), ("resnet20", [3, 32, 32], 272_474),
        ("resnet18", [3, 32, 32], 11_173_962), ("vgg11", [3, 32, 32], 9_756_426),
    ])
    func parameterCounts(model: (name: String, shape: [Int], count: Int)) throws {
        let network = try ModelZoo.make(model.name, sampleShape: model.shape, classes: 10)
        #expect(network.trainableCount == model.count)
    }

    @Test func stableNames() throws {
        let resnet = try ModelZoo.make("resnet18", sampleShape: [3, 32, 32], classes: 10)
        let names = resnet.parameters.map(\.name)
        for name in [
            "conv1.weight", "bn1.running_mean", "layer2.0.bn1.running_mean", "layer2.0.downsample.0.weight",
            "layer2.0.downsample.1.running_var", "layer4.1.conv2.weight", "fc.weight", "fc.bias",
        ] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(Set(names).count == names.count)
        let lenet = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10)
        #expect(
            lenet.parameters.map(\.name) == [
                "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
            ])
    }

    @Test func widthMultiplierScalesChannels() throws {
        let half = try ModelZoo.make("resnet20", sampleShape: [3, 32, 32], classes: 10, width: 0.5)
        #expect(half.parameter(named: "conv1.weight")?.value.shape == [8, 3, 3, 3])
        #expect(half.parameter(named: "layer3.0.conv1.weight")?.value.shape == [32, 16, 3, 3])
        let wide = try ModelZoo.make("vgg11", sampleShape: [3, 32, 32], classes: 10, width: 2)
        #expect(wide.parameter(named: "features.0.weight")?.value.shape == [128, 3, 3, 3])
    }

    @Test func everyModelRunsAStepOnSmallInputs() throws {
        for name in ModelZoo.names {
            let shape = ["logreg", "mlp", "lenet5"].contains(name) ? [1, 28, 28] : [3, 32, 32]
            let width = name == "resnet18" || name == "vgg11" ? 0.125 : 0.5
            let network = try ModelZoo.make(name, sampleShape: shape, classes: 10, width: width, seed: 1)
            let trainer = Trainer(network: network, learningRate: 0.01)
            let batch = randomTensor([2] + shape, seed: 5)
            let labels: [Int32] = [3, 7]
            let result = labels.withUnsafeBufferPointer { trainer.step(batch, labels: $0.baseAddress!) }
            #expect(result.loss.isFinite, "\(name)")
            #expect(network.flops.forward > 0 && network.flops.backward >= network.flops.forward, "\(name)")
        }
    }

    @Test func badRequestsAreExplained() {
        #expect(throws: ModelError.self) { try ModelZoo.make("alexnet", sampleShape: [3, 32, 32], classes: 10) }
        #expect(throws: ModelError.self) { try ModelZoo.make("lenet5", sampleShape: [60], classes: 10) }
        #expect(throws: ModelError.self) { try ModelZoo.make("vgg11", sampleShape: [3, 8, 8], classes: 10) }
    }

    @Test func sameSeedSameWeightsOtherSeedOtherWeights() throws {
        let a = ParameterArchive(try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 4))
        let b = ParameterArchive(try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 4))
        let c = ParameterArchive(try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 5))
        #expect(a.values == b.values)
        #expect(a.values != c.values)
    }

    @Test func lenetFLOPsMatchTheLayerArithmetic() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10)
        _ = network.forward(Tensor(zeros: [1, 1, 28, 28]), mode: .evaluation)
        let multiplyAdds = 6 * 25 * 784 + 16 * 150 * 100 + 400 * 120 + 120 * 84 + 84 * 10
        let biases = 6 * 784 + 16 * 100 + 120 + 84 + 10
        let relus = 6 * 784 + 16 * 100 + 120 + 84
        let pools = 6 * 196 * 4 + 16 * 25 * 4
        #expect(network.flops.forward == 2 * multiplyAdds + biases + relus + pools)
    }
}

@Suite("Input gradients")
struct InputGradientTests {
    /// Nothing uses the gradient of the data, so the first layer with parameters skips it: the MLP's
    /// backward pass then costs the weight gradients of all layers plus the input gradients of fc2
    /// and fc3 only.
    @Test func firstParameterisedLayerSkipsItsInputGradient() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [1, 28, 28], classes: 10)
        let trainer = Trainer(network: network, learningRate: 0.01)
        let labels: [Int32] = [1, 2]
        labels.withUnsafeBufferPointer {
            _ = trainer.step(randomTensor([2, 1, 28, 28], seed: 1), labels: $0.baseAddress!)
        }
        let weights = 784 * 300 + 300 * 100 + 100 * 10
        let hidden = 300 * 100 + 100 * 10
        let biases = 300 + 100 + 10
        let relus = 300 + 100
        #expect(network.flops.backward == 2 * 2 * (weights + hidden) + 2 * biases + 2 * relus)
    }
}
