import OrchardTensor
import OrchardTestSupport
import Testing

@testable import OrchardNN

/// The Winograd F(2x2, 3x3) path against the direct definition and against the wide-row path.
///
/// Shapes cover tile rows of 2 (4 wide), 4 (8 wide), 5 (10 wide: one partial run of eight
/// tiles), 9 (18 wide: one whole run and one tile) and 16 (32 wide: two whole runs), so every
/// branch of the row split and of the runs, unequal channel counts both ways, and blocks of one
/// and of several samples. F(2x2, 3x3)'s transforms multiply by 1/2 and add at most nine terms, so in
/// Float32 its results sit within a few units of the last place of a direct sum of the same
/// terms; 1e-4 absolute and relative (`Tolerance`) is ample for sums of at most 108 products of order 1
/// and still catches any wrong tile, point or channel.
@Suite("Winograd convolution")
struct WinogradTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let inputs: Int
        let outputs: Int
        let shape: [Int]
        let bias: Bool
        var testDescription: String { "\(inputs)->\(outputs) \(shape) bias \(bias)" }
    }

    static let cases = [
        Case(inputs: 8, outputs: 8, shape: [8, 2, 6, 10], bias: true),
        Case(inputs: 8, outputs: 12, shape: [8, 3, 16, 18], bias: false),
        Case(inputs: 12, outputs: 8, shape: [12, 5, 4, 4], bias: true),
        Case(inputs: 8, outputs: 8, shape: [8, 2, 8, 32], bias: false),
        Case(inputs: 16, outputs: 8, shape: [16, 3, 8, 8], bias: true),
    ]

    func layer(_ testCase: Case, seed: UInt64) -> Conv2d {
        var random = RandomStream(seed: seed)
        return Conv2d(
            testCase.inputs, testCase.outputs, kernelSize: 3, padding: 1, bias: testCase.bias, random: &random)
    }

    func expectClose(
        _ actual: Tensor, _ expected: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        OrchardTestSupport.expectClose(
            actual.values, expected, within: .reordered, what,
            sourceLocation: sourceLocation)
    }

    @Test(arguments: cases)
    func forwardMatchesDirectSum(testCase: Case) {
        let layer = layer(testCase, seed: 31)
        let input = randomTensor(testCase.shape, seed: 32)
        #expect(layer.path(for: input.shape) == .winograd)
        let output = layer.forward(input, mode: .training)
        expectClose(output, LayerForwardTests().directConvolution(layer, input), "y")
    }

    /// dX and dW against the same layer without Winograd (wide rows, or im2col on 4x4 planes),
    /// whose gradients the finite-difference tests check entry by entry.
    @Test(arguments: cases)
    func gradientsMatchTheOtherPaths(testCase: Case) {
        let (winograd, reference) = (layer(testCase, seed: 41), layer(testCase, seed: 41))
        reference.planOptions.excludedPaths = [.winograd]
        let input = randomTensor(testCase.shape, seed: 42)
        let outputGradient = randomTensor(winograd.outputShape(for: input.shape), seed: 43)
        _ = winograd.forward(input, mode: .training)
        _ = reference.forward(input, mode: .training)
        let inputGradient = winograd.backward(outputGradient)!
        let expected = reference.backward(outputGradient)!
        expectClose(inputGradient, expected.values, "dX")
        expectClose(winograd.weight.gradient!, reference.weight.gradient!.values, "dW")
        if testCase.bias { expectClose(winograd.bias!.gradient!, reference.bias!.gradient!.values, "db") }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let testCase = Self.cases[0]
        let layer = layer(testCase, seed: 51)
        let input = randomTensor(testCase.shape, seed: 52)
        #expect(layer.path(for: input.shape) == .winograd)
        GradientCheck(samplesPerTensor: 200).check(layer, input: input)
    }

    @Test func repeatedStepsGiveTheSameBits() {
        let testCase = Self.cases[1]
        let layer = layer(testCase, seed: 61)
        let input = randomTensor(testCase.shape, seed: 62)
        let first = layer.forward(input, mode: .training).values
        let firstGradient = layer.backward(randomTensor(layer.outputShape(for: input.shape), seed: 63))!.values
        #expect(layer.forward(input, mode: .training).values == first)
        #expect(layer.backward(randomTensor(layer.outputShape(for: input.shape), seed: 63))!.values == firstGradient)
    }

    @Test func takenOnlyForStrideOneThreeByThreeOnEvenPlanes() {
        var random = RandomStream(seed: 71)
        let layer = Conv2d(8, 8, kernelSize: 3, padding: 1, random: &random)
        #expect(layer.path(for: [8, 1, 32, 32]) == .winograd)
        #expect(layer.path(for: [8, 1, 7, 8]) != .winograd)
        let stem = Conv2d(3, 16, kernelSize: 3, padding: 1, random: &random)
        #expect(stem.path(for: [3, 1, 32, 32]) != .winograd)
        let strided = Conv2d(8, 8, kernelSize: 3, stride: 2, padding: 1, random: &random)
        #expect(strided.path(for: [8, 1, 32, 32]) != .winograd)
        let lenet = Conv2d(8, 16, kernelSize: 5, random: &random)
        #expect(lenet.path(for: [8, 1, 14, 14]) != .winograd)
    }
}
