import OrchardNN
import Testing

@testable import OrchardPruning

@Suite("Tensor and model masks")
struct TensorMaskTests {
    @Test func denseConversionsRoundTrip() {
        let mask = TensorMask(shape: [2, 3], activeIndices: [1, 4, 5])
        #expect(mask.count == 3)
        #expect(mask.elementCount == 6)
        #expect(mask.density == 0.5)
        #expect(mask.denseFloats == [0, 1, 0, 0, 1, 1])
        #expect(mask.denseFlags == [false, true, false, false, true, true])
        #expect(TensorMask(shape: [2, 3], dense: mask.denseFloats) == mask)
        #expect(TensorMask(shape: [2, 3], kept: mask.denseFlags) == mask)
        #expect(mask.inactiveIndices == [0, 2, 3])
        #expect((0..<6).map { mask.contains($0) } == mask.denseFlags)
        #expect(!mask.contains(-1) && !mask.contains(6))
    }

    @Test func applyZeroesExactlyThePrunedEntries() {
        let mask = TensorMask(shape: [5], activeIndices: [0, 3])
        var values: [Float] = [1, 2, 3, 4, 5]
        values.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
        #expect(values == [1, 0, 0, 4, 0])
        #expect(TensorMask.full(shape: [2, 2]).count == 4)
        #expect(TensorMask.empty(shape: [2, 2]).inactiveIndices == [0, 1, 2, 3])
    }

    @Test func modelMaskKeepsNetworkOrderAndApplies() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [4], classes: 3)
        let layers = PrunableLayers(network)
        let full = ModelMask.full(layers)
        #expect(full.names == ["fc1.weight", "fc2.weight", "fc3.weight"])
        #expect(full.density == 1)
        let emptied = full.replacing("fc3.weight", with: .empty(shape: [3, 100]))
        #expect(emptied.count == full.count - 300)
        emptied.apply(to: network)
        #expect(network.parameter(named: "fc3.weight")!.value.values.allSatisfy { $0 == 0 })
        #expect(network.parameter(named: "fc2.weight")!.value.values.contains { $0 != 0 })
        #expect(emptied["fc1.weight"] == full["fc1.weight"])
        #expect(emptied["fc1.bias"] == nil)
    }
}
