import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Every layer's backward matches finite differences")
struct LayerGradientTests {
    let check = GradientCheck()
    /// Chains with ReLU after a normalisation: a step of 1e-2 would move many pre-activations
    /// across zero, so these use 1e-3 (Float32 rounding then costs about 5e-3).
    let fineCheck = GradientCheck(step: 1e-3)

    @Test(arguments: [true, false])
    func linear(bias: Bool) {
        var random = RandomStream(seed: 3)
        check.check(Linear(7, 5, bias: bias, random: &random), input: randomTensor([4, 7], seed: 1))
    }

    @Test(arguments: [
        (kernel: 3, stride: 1, padding: 1), (kernel: 3, stride: 2, padding: 1), (kernel: 1, stride: 1, padding: 0),
        (kernel: 1, stride: 2, padding: 0), (kernel: 5, stride: 1, padding: 2), (kernel: 2, stride: 2, padding: 0),
    ])
    func conv2d(shape: (kernel: Int, stride: Int, padding: Int)) {
        var random = RandomStream(seed: 4)
        let layer = Conv2d(
            3, 4, kernelSize: shape.kernel, stride: shape.stride, padding: shape.padding, random: &random)
        layer.planOptions.columnBudgetBytes = 1  // one sample per GEMM, so the grouping path is exercised too
        layer.planOptions.minimumGroupPositions = 0
        check.check(layer, input: randomTensor([3, 2, 6, 5], seed: 2))
    }

    @Test func conv2dWithoutBiasInWholeBatchGroups() {
        var random = RandomStream(seed: 5)
        let layer = Conv2d(2, 3, kernelSize: 3, stride: 1, padding: 1, bias: false, random: &random)
        check.check(layer, input: randomTensor([2, 3, 5, 5], seed: 3))
    }

    @Test func batchNorm2d() {
        let layer = BatchNorm(3)
        for index in 0..<3 {
            layer.scale.value[index] = 0.5 + Float(index)
            layer.shift.value[index] = Float(index) - 1
        }
        check.check(layer, input: randomTensor([3, 4, 3, 3], seed: 4))
    }

    @Test func batchNorm1d() {
        let layer = BatchNorm(5)
        layer.scale.value.fill(1.5)
        check.check(layer, input: randomTensor([6, 5], seed: 5))
    }

    @Test func relu() { check.check(ReLU(), input: randomTensor([3, 2, 4, 4], seed: 6)) }

    @Test func maxPool() { check.check(MaxPool2d(kernelSize: 2), input: randomTensor([2, 3, 6, 6], seed: 7)) }

    @Test func maxPoolOverlapping() {
        check.check(MaxPool2d(kernelSize: 3, stride: 2), input: randomTensor([2, 2, 7, 7], seed: 8))
    }

    @Test func avgPool() { check.check(AvgPool2d(kernelSize: 2), input: randomTensor([2, 3, 6, 6], seed: 9)) }

    @Test func globalAvgPool() { check.check(GlobalAvgPool(), input: randomTensor([3, 2, 4, 4], seed: 10)) }

    @Test func flatten() { check.check(Flatten(), input: randomTensor([3, 2, 2, 2], seed: 11)) }

    @Test(arguments: [1, 3])
    func channelMajor(channels: Int) {
        check.check(ChannelMajor(), input: randomTensor([2, channels, 3, 3], seed: 12))
    }

    @Test(arguments: [(4, 4, 1), (3, 5, 2)])
    func basicBlock(shape: (inputs: Int, outputs: Int, stride: Int)) {
        var random = RandomStream(seed: 6)
        let block = BasicBlock(shape.inputs, shape.outputs, stride: shape.stride, random: &random)
        fineCheck.check(block, input: randomTensor([shape.inputs, 3, 6, 6], seed: 13))
    }

    @Test func sequentialOfLayers() {
        var random = RandomStream(seed: 7)
        let chain = Sequential([
            ("layout", ChannelMajor()), ("conv", Conv2d(2, 3, kernelSize: 3, padding: 1, random: &random)),
            ("bn", BatchNorm(3)), ("relu", ReLU()), ("pool", MaxPool2d(kernelSize: 2)), ("flatten", Flatten()),
            ("fc", Linear(12, 4, random: &random)),
        ])
        fineCheck.check(chain, input: randomTensor([3, 2, 4, 4], seed: 14))
    }

    @Test func softmaxCrossEntropy() {
        let logits = randomTensor([4, 5], seed: 15)
        let labels: [Int32] = [0, 3, 4, 1]
        let criterion = SoftmaxCrossEntropy()
        let analytic = labels.withUnsafeBufferPointer { criterion(logits, labels: $0.baseAddress!).gradient.copy() }
        let step: Float = 1e-2
        for index in 0..<logits.count {
            let original = logits[index]
            logits[index] = original + step
            let above = labels.withUnsafeBufferPointer { criterion(logits, labels: $0.baseAddress!).loss }
            logits[index] = original - step
            let below = labels.withUnsafeBufferPointer { criterion(logits, labels: $0.baseAddress!).loss }
            logits[index] = original
            #expect(abs((above - below) / (2 * step) - analytic[index]) < 2e-3, "logit \(index)")
        }
    }
}

@Suite("Wide-row convolution, every gradient entry")
struct WideGradientTests {
    /// Every input and weight entry, not a sample: the edges of the padded image are where a wrong
    /// index in the wide-row fold would hide.
    @Test(arguments: [(3, 1), (5, 2)])
    func everyEntryMatchesFiniteDifferences(window: (kernel: Int, padding: Int)) {
        var random = RandomStream(seed: 8)
        let layer = Conv2d(2, 3, kernelSize: window.kernel, padding: window.padding, random: &random)
        let input = randomTensor([2, 2, 5, 28], seed: 9)
        #expect(layer.path(for: input.shape) == .wide)
        GradientCheck(samplesPerTensor: 10_000).check(layer, input: input)
    }

    /// Stride 2 over phase planes, on planes of odd height and even width (phases of unequal sizes).
    @Test func stridedPhasePlanesMatchFiniteDifferences() {
        var random = RandomStream(seed: 10)
        let layer = Conv2d(8, 3, kernelSize: 3, stride: 2, padding: 1, random: &random)
        let input = randomTensor([8, 2, 5, 16], seed: 11)
        #expect(layer.path(for: input.shape) == .wide)
        GradientCheck(samplesPerTensor: 10_000).check(layer, input: input)
    }
}
