import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardPruning

@Suite("Mask health")
struct MaskHealthTests {
    /// LeNet-5 on 28x28 images with every weight kept except where `masks` says.
    private func lenet(_ masks: [String: [Int32]]) throws -> Network {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 3)
        try network.applyMasks(masks, batch: 1, storage: .masked)
        return network
    }

    @Test func aDenseNetworkHasNoDeadOutput() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 3)
        let health = try MaskHealth.measure(network)
        #expect(health.outputs == 10 && health.deadOutputs == 0)
        #expect(
            health.layers.map(\.name) == ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight"])
        #expect(health.layers.map(\.outputs) == [6, 16, 120, 84, 10])
        #expect(health.layers.allSatisfy { $0.deadOutputs == 0 && $0.kept == $0.weights })
    }

    @Test func aClassifierKeepingThreeRowsLeavesSevenClassesDead() throws {
        // fc3 is [10, 84]: keep one weight in rows 0, 4 and 9.
        let network = try lenet(["fc3.weight": [0, 4 * 84 + 5, 9 * 84 + 83]])
        let before = stateBits(network)
        let health = try MaskHealth.measure(network)
        #expect(health.deadOutputs == 7)
        #expect(
            health.layers.last
                == MaskHealth.Layer(name: "fc3.weight", kept: 3, weights: 840, outputs: 10, deadOutputs: 7))
        #expect(stateBits(network) == before)
    }

    @Test func deadInputsPropagate() throws {
        // conv1 keeps only channel 0's weights; conv2 [16, 6, 5, 5] keeps weights of output channel
        // 0 reading input channel 0 and of output channel 1 reading input channel 3 (dead).
        let conv1 = (0..<25).map { Int32($0) }
        let conv2: [Int32] = [0, Int32(150 + 3 * 25 + 12)]
        let health = try MaskHealth.measure(try lenet(["conv1.weight": conv1, "conv2.weight": conv2]))
        #expect(health.layers[0].deadOutputs == 5)
        #expect(health.layers[1].deadOutputs == 15)
        #expect(health.layers[1].kept == 2)
        // fc1 reads the 16 channels' 5x5 maps; only channel 0's 25 features are alive, and every
        // fc1 output keeps weights on them, so nothing further is dead.
        #expect(health.layers[2].deadOutputs == 0)
        #expect(health.deadOutputs == 0)
    }

    @Test func aLinearLayerReadingOnlyDeadChannelsIsDead() throws {
        // conv2 keeps only output channel 0 (its first 150 weights); fc1 [120, 400] reads the 16
        // channels' 5x5 maps: row 0 keeps one weight on channel 1 (dead), row 1 one on channel 0.
        let conv2 = (0..<150).map { Int32($0) }
        let health = try MaskHealth.measure(try lenet(["conv2.weight": conv2, "fc1.weight": [25, 400]]))
        #expect(health.layers[1].deadOutputs == 15)
        #expect(health.layers[2].deadOutputs == 119)
        #expect(health.layers[3].deadOutputs == 0)
        #expect(health.deadOutputs == 0)
    }

    @Test func aResidualBlockKeepsItsOutputAliveThroughTheShortcut() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 8, 8], classes: 4, width: 0.25, seed: 1)
        // Prune layer1.0.conv2 to nothing but one weight: its outputs die but the block's identity
        // shortcut keeps the stage alive, so no class is lost.
        let name = "layer1.0.conv2.weight"
        try network.applyMasks([name: [0]], batch: 1, storage: .masked)
        let health = try MaskHealth.measure(network)
        let layer = try #require(health.layers.first { $0.name == name })
        #expect(layer.kept == 1)
        #expect(layer.deadOutputs == layer.outputs - 1)
        #expect(health.deadOutputs == 0)
    }

    @Test func rescalingDividesKeptWeightsByTheRootOfTheDensity() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [8], classes: 3, seed: 2)
        let before = network.parameter(named: "fc2.weight")!.value.values
        let kept: [Int32] = (0..<300).map { Int32($0 * 100) }  // 300 of 30,000: density 1%
        try network.applyMasks(["fc2.weight": kept], batch: 1, storage: .masked)
        let factors = KeptWeightScaling.rescale(network)
        #expect(factors == ["fc2.weight": 10])
        let after = network.parameter(named: "fc2.weight")!.value.values
        for index in kept.map(Int.init) { #expect(after[index] == before[index] * 10) }
        #expect(after.enumerated().allSatisfy { kept.contains(Int32($0.offset)) || $0.element == 0 })
        // Dense layers are left alone.
        #expect(factors["fc1.weight"] == nil)
    }
}
