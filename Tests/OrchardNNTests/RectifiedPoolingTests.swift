import OrchardTensor
import Testing

@testable import OrchardNN

/// A ReLU before a max pool is skipped and the pool rectifies (`MaxPool2d.rectifying`): the
/// results must be bitwise those of the layers run one after the other.
@Suite("Rectifying max pool")
struct RectifiedPoolingTests {
    /// A NaN maximum goes on, as a ReLU before the pool would pass it: a diverged activation stays visible.
    @Test func aNaNWindowIsNotRectifiedAway() {
        let pool = MaxPool2d(kernelSize: 2)
        pool.rectifying = true
        let input = Tensor(shape: [1, 1, 2, 4], values: [.nan, 5, -1, -2, 1, 1, -3, -4])
        let output = pool.forward(input, mode: .training).values
        #expect(output[0].isNaN && output[1] == 0)
    }

    @Test(arguments: [(2, 2), (3, 2), (2, 1)])
    func matchesReLUThenPool(window: (size: Int, stride: Int)) throws {
        var random = RandomStream(seed: 9)
        let convolution = Conv2d(2, 3, kernelSize: 3, padding: 1, random: &random)
        // A negative bias leaves some windows without a positive value, which then pass no gradient.
        for channel in 0..<3 { convolution.bias!.value[channel] = -0.3 * Float(channel) }
        let pooling = MaxPool2d(kernelSize: window.size, stride: window.stride)
        let chain = Sequential([("conv", convolution), ("relu", ReLU()), ("pool", pooling)])
        let input = Tensor(zeros: [2, 4, 8, 8])
        for index in 0..<input.count { input[index] = random.nextFloat() * 2 - 1 }
        let fused = chain.forward(input, mode: .training).values

        let pool = MaxPool2d(kernelSize: window.size, stride: window.stride)
        let rectifier = ReLU()
        let convolved = convolution.forward(input, mode: .training)
        let apart = pool.forward(rectifier.forward(convolved, mode: .training), mode: .training)
        #expect(fused == apart.values)
        #expect(fused.contains(0) && fused.contains { $0 > 0 })

        let outputGradient = Tensor(zeros: apart.shape)
        for index in 0..<outputGradient.count { outputGradient[index] = random.nextFloat() - 0.5 }
        let pooledGradient = try #require(pool.backward(outputGradient))
        let rectifiedGradient = try #require(rectifier.backward(pooledGradient))
        let apartInputGradient = try #require(convolution.backward(rectifiedGradient)).values
        let apartWeightGradient = convolution.weight.gradient!.values
        _ = chain.forward(input, mode: .training)
        let fusedInputGradient = try #require(chain.backward(outputGradient)).values
        #expect(fusedInputGradient == apartInputGradient)
        #expect(convolution.weight.gradient!.values == apartWeightGradient)
    }
}
