import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Convolution plan")
struct ConvolutionPlanTests {
    /// A layer, its input shape, the options it runs with and the path it must take.
    struct Case: Sendable, CustomTestStringConvertible {
        var inputs: Int
        var outputs: Int
        var kernel: Int
        var stride = 1
        var padding = 0
        var shape: [Int]
        var inputGradient = true
        var path: ConvolutionPlan.Path

        var testDescription: String { "\(path) \(inputs)->\(outputs) \(kernel)x\(kernel) s\(stride) on \(shape)" }

        func layer() -> Conv2d {
            var random = RandomStream(seed: 5)
            let layer = Conv2d(inputs, outputs, kernelSize: kernel, stride: stride, padding: padding, random: &random)
            layer.needsInputGradient = inputGradient
            return layer
        }
    }

    static let cases: [Case] = [
        Case(inputs: 1, outputs: 6, kernel: 5, padding: 2, shape: [1, 2, 12, 12], inputGradient: false, path: .direct),
        Case(inputs: 8, outputs: 8, kernel: 3, padding: 1, shape: [8, 2, 8, 8], path: .winograd),
        Case(inputs: 3, outputs: 4, kernel: 3, padding: 1, shape: [3, 2, 8, 8], path: .wide),
        Case(inputs: 8, outputs: 4, kernel: 3, stride: 2, padding: 1, shape: [8, 2, 16, 16], path: .wide),
        Case(inputs: 3, outputs: 4, kernel: 3, stride: 2, padding: 1, shape: [3, 2, 8, 8], path: .im2col),
        Case(inputs: 8, outputs: 4, kernel: 1, shape: [8, 2, 4, 4], path: .im2col),
    ]

    /// After a forward and backward pass, every workspace the plan lists is allocated at its
    /// listed shape, so the footprint that counts the list counts what the layer holds.
    @Test(arguments: cases)
    func theWorkspacesAllocatedAreTheOnesListed(testCase: Case) {
        let layer = testCase.layer()
        let input = randomTensor(testCase.shape, seed: 6)
        let output = layer.forward(input, mode: .training)
        _ = layer.backward(randomTensor(output.shape, seed: 7))
        guard let plan = layer.plan else {
            Issue.record("no plan after a dense forward pass")
            return
        }
        #expect(plan.path == testCase.path)
        for (buffer, shape) in plan.buffers {
            #expect(plan.existing(buffer)?.shape == shape, "\(buffer)")
        }
        let bytes = plan.buffers.map { tensorBytes($0.shape) }
        #expect(layer.trainingTensors(inputShape: testCase.shape).suffix(bytes.count) == ArraySlice(bytes))
    }

    /// Excluding a path takes the next one of the chain that applies.
    @Test func excludingAPathTakesTheNextThatApplies() {
        var random = RandomStream(seed: 8)
        let layer = Conv2d(8, 8, kernelSize: 3, padding: 1, random: &random)
        let shape = [8, 2, 8, 8]
        #expect(layer.path(for: shape) == .winograd)
        layer.planOptions.excludedPaths = [.winograd]
        #expect(layer.path(for: shape) == .wide)
        layer.planOptions.excludedPaths = [.winograd, .wide]
        #expect(layer.path(for: shape) == .im2col)
        layer.planOptions.excludedPaths = Set(ConvolutionPlan.Path.allCases)
        #expect(layer.path(for: shape) == .im2col)
    }

    /// A plan serves one geometry, batch and input-gradient setting; another batch gets a new plan
    /// that keeps the tensors whose shapes do not depend on the batch.
    @Test func anotherBatchGetsAPlanOfItsOwn() {
        var random = RandomStream(seed: 9)
        let layer = Conv2d(3, 4, kernelSize: 3, padding: 1, random: &random)
        let first = randomTensor([3, 2, 8, 8], seed: 10)
        _ = layer.backward(randomTensor(layer.forward(first, mode: .training).shape, seed: 11))
        let plan = layer.plan
        let weights = plan?.existing(.offsetWeights)
        #expect(layer.plan(for: first.shape) === plan)
        let second = randomTensor([3, 3, 8, 8], seed: 12)
        _ = layer.backward(randomTensor(layer.forward(second, mode: .training).shape, seed: 13))
        #expect(layer.plan !== plan && layer.plan?.batch == 3)
        #expect(layer.plan?.existing(.offsetWeights)?.data == weights?.data)
        #expect(layer.plan?.existing(.padded)?.shape == layer.plan?.buffers.first { $0.buffer == .padded }?.shape)
    }
}
