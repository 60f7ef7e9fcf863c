import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Direct convolution of first layers")
struct DirectConvolutionTests {
    /// The direct kernels against the GEMM paths (which the finite-difference checks cover), on
    /// LeNet's conv1 shape and on widths whose rows end inside, at and past a run of 32 positions.
    @Test(arguments: [(1, 6, 28, 2), (3, 4, 13, 2), (1, 2, 32, 2), (2, 4, 37, 0), (1, 6, 41, 2)])
    func matchesTheGEMMPaths(shape: (inputs: Int, outputs: Int, width: Int, padding: Int)) {
        for bias in [true, false] {
            var random = RandomStream(seed: 31)
            let direct = Conv2d(
                shape.inputs, shape.outputs, kernelSize: 5, padding: shape.padding, bias: bias, random: &random)
            var same = RandomStream(seed: 31)
            let reference = Conv2d(
                shape.inputs, shape.outputs, kernelSize: 5, padding: shape.padding, bias: bias, random: &same)
            for layer in [direct, reference] { layer.needsInputGradient = false }
            reference.planOptions.excludedPaths = [.direct]
            let x = randomTensor([shape.inputs, 3, 9, shape.width], seed: 32)
            #expect(direct.path(for: x.shape) == .direct)
            #expect(reference.path(for: x.shape) != .direct)
            let y = direct.forward(x, mode: .training).copy()
            let expected = reference.forward(x, mode: .training)
            let dy = randomTensor(y.shape, seed: 33)
            #expect(direct.backward(dy) == nil)
            _ = reference.backward(dy)
            expectClose(y, expected)
            expectClose(direct.weight.gradient!, reference.weight.gradient!)
            if bias { expectClose(direct.bias!.gradient!, reference.bias!.gradient!) }
        }
    }

    @Test func onlyFirstLayersWithFewChannelsAndAFiveByFiveWindowAreDirect() {
        var random = RandomStream(seed: 1)
        let lenet = Conv2d(1, 6, kernelSize: 5, padding: 2, random: &random)
        let shape = [1, 64, 28, 28]
        #expect(lenet.path(for: shape) != .direct)  // it needs dX by default
        lenet.needsInputGradient = false
        #expect(lenet.path(for: shape) == .direct)
        let wide = Conv2d(6, 16, kernelSize: 5, random: &random)
        wide.needsInputGradient = false
        #expect(wide.path(for: [6, 64, 14, 14]) != .direct)
        let odd = Conv2d(1, 5, kernelSize: 5, random: &random)
        odd.needsInputGradient = false
        #expect(odd.path(for: shape) != .direct)
    }
}
