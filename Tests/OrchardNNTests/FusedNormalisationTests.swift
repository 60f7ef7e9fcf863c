import OrchardTensor
import Testing

@testable import OrchardNN

/// A batch norm whose forward pass fuses the rectifier, as a layer the gradient check can drive.
private final class RectifiedNorm: Layer {
    let norm: BatchNorm
    var needsInputGradient: Bool {
        get { norm.needsInputGradient }
        set { norm.needsInputGradient = newValue }
    }
    var flops: FLOPCount { norm.flops }

    init(_ norm: BatchNorm) { self.norm = norm }

    func forward(_ input: Tensor, mode: Mode) -> Tensor { norm.forward(input, mode: mode, rectifying: true) }
    func backward(_ outputGradient: Tensor) -> Tensor? { norm.backward(outputGradient) }
    func outputShape(for inputShape: [Int]) -> [Int] { inputShape }
    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        norm.visitParameters(prefix: prefix, visit)
    }
    func trainingTensors(inputShape: [Int]) -> [Int] { norm.trainingTensors(inputShape: inputShape) }
}

@Suite("Batch norm fused with the rectifier and the residual addition")
struct FusedNormalisationTests {
    private func norm(_ features: Int) -> BatchNorm {
        let layer = BatchNorm(features)
        for index in 0..<features {
            layer.scale.value[index] = 0.5 + 0.25 * Float(index)
            layer.shift.value[index] = 0.3 * Float(index) - 0.4
        }
        return layer
    }

    /// Shapes whose runs end inside, at and past a vector of 16 values, and a 1d layout.
    static let shapes: [[Int]] = [[3, 2, 5, 5], [2, 4, 2, 2], [4, 3, 7, 9], [7, 5]]

    @Test(arguments: shapes)
    func rectifyingEqualsBatchNormThenReLU(shape: [Int]) {
        let input = randomTensor(shape, seed: 21)
        let gradient = randomTensor(shape, seed: 22)
        let features = shape.count == 4 ? shape[0] : shape[1]
        let (fused, plain, relu) = (norm(features), norm(features), ReLU())
        let output = fused.forward(input, mode: .training, rectifying: true).copy()
        let reference = relu.forward(plain.forward(input, mode: .training), mode: .training)
        // The same operations in the same order: bitwise equal.
        #expect(output.values == reference.values)
        let inputGradient = fused.backward(gradient)!.copy()
        let referenceGradient = plain.backward(relu.backward(gradient)!)!
        // The masked sums add the same terms in the same order as the separate layers.
        #expect(inputGradient.values == referenceGradient.values)
        #expect(fused.scale.gradient!.values == plain.scale.gradient!.values)
        #expect(fused.shift.gradient!.values == plain.shift.gradient!.values)
    }

    /// A chain skips a ReLU after a batch norm, which rectifies in its place.
    ///
    /// Outputs, gradients and FLOPs are those of the two layers, and the ReLU's tensors are not
    /// counted. A max pool after the ReLU (VGG's order) is left to pool plainly.
    @Test(arguments: [false, true])
    func aChainLetsTheBatchNormRectify(pooled: Bool) {
        let shape = [3, 2, 4, 6]
        let input = randomTensor(shape, seed: 27)
        let (fused, plain, relu) = (norm(3), norm(3), ReLU())
        var layers: [(String, any Layer)] = [("bn", fused), ("relu", ReLU())]
        let (pool, plainPool) = (MaxPool2d(kernelSize: 2), MaxPool2d(kernelSize: 2))
        if pooled { layers.append(("pool", pool)) }
        let chain = Sequential(layers)
        #expect(fused.rectifies && !pool.rectifying)
        let output = chain.forward(input, mode: .training).copy()
        var reference = relu.forward(plain.forward(input, mode: .training), mode: .training)
        if pooled { reference = plainPool.forward(reference, mode: .training) }
        #expect(output.values == reference.values)
        let gradient = randomTensor(output.shape, seed: 28)
        let inputGradient = chain.backward(gradient)!.copy()
        var referenceGradient = pooled ? plainPool.backward(gradient)! : gradient
        referenceGradient = plain.backward(relu.backward(referenceGradient)!)!
        #expect(inputGradient.values == referenceGradient.values)
        #expect(fused.scale.gradient!.values == plain.scale.gradient!.values)
        let separate = plain.flops.forward + relu.flops.forward + (pooled ? plainPool.flops.forward : 0)
        #expect(chain.flops.forward == separate)
        let separateBackward = plain.flops.backward + relu.flops.backward + (pooled ? plainPool.flops.backward : 0)
        #expect(chain.flops.backward == separateBackward)
        let tensors =
            plain.trainingTensors(inputShape: shape) + (pooled ? plainPool.trainingTensors(inputShape: shape) : [])
        #expect(chain.trainingTensors(inputShape: shape) == tensors)
    }

    @Test func addingTheResidualEqualsBatchNormPlusShortcutThenReLU() {
        let shape = [3, 2, 5, 5]
        let (input, residual) = (randomTensor(shape, seed: 23), randomTensor(shape, seed: 24))
        let (fused, plain) = (norm(3), norm(3))
        let output = fused.forward(input, mode: .training, rectifying: true, adding: residual)
        let normalised = plain.forward(input, mode: .training)
        let sum = Tensor(zeros: shape)
        Elementwise.add(normalised.data, residual.data, sum.data, count: sum.count)
        #expect(output.values == ReLU().forward(sum, mode: .training).values)
    }

    /// Backward from the gradient of a ReLU after the residual sum masks it in the sums' pass:
    /// bitwise the rectifier's backward and then the batch norm's, masked gradient included.
    @Test func backwardThroughTheBlocksRectifierEqualsReLUThenBatchNorm() {
        let shape = [3, 2, 5, 5]
        let (input, residual) = (randomTensor(shape, seed: 29), randomTensor(shape, seed: 30))
        let (fused, plain) = (norm(3), norm(3))
        let output = fused.forward(input, mode: .training, rectifying: true, adding: residual).copy()
        _ = plain.forward(input, mode: .training, rectifying: true, adding: residual)
        let gradient = randomTensor(shape, seed: 31)
        let masked = Tensor(zeros: shape)
        let inputGradient = fused.backward(gradient, rectifiedAt: output, masked: masked)!.copy()
        let reference = Tensor(zeros: shape)
        Elementwise.reluBackward(output.data, gradient.data, reference.data, count: reference.count)
        #expect(masked.values == reference.values)
        #expect(inputGradient.values == plain.backward(reference)!.values)
        #expect(fused.scale.gradient!.values == plain.scale.gradient!.values)
        #expect(fused.shift.gradient!.values == plain.shift.gradient!.values)
    }

    @Test func rectifiedGradientMatchesFiniteDifferences() {
        // Step 1e-3 as for the other chains with a rectifier after a normalisation.
        GradientCheck(step: 1e-3).check(RectifiedNorm(norm(3)), input: randomTensor([3, 4, 3, 3], seed: 25))
    }

    /// The one-pass statistics against a two-pass Double computation, on values far from zero
    /// (mean 1,000, standard deviation 1), where E[x^2] - E[x]^2 in Float32 would lose everything.
    @Test func statisticsOfOffsetValuesMatchTwoPassDouble() {
        let shape = [2, 8, 17, 17]
        let input = randomTensor(shape, seed: 26)
        for index in 0..<input.count { input[index] += 1000 }
        let layer = BatchNorm(2, momentum: 1)
        _ = layer.forward(input, mode: .training)
        let run = input.count / 2
        for channel in 0..<2 {
            let values = (0..<run).map { Double(input[channel * run + $0]) }
            let mean = values.reduce(0, +) / Double(run)
            let unbiased = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(run - 1)
            // Float32 rounding of the values themselves (about 6e-5 at 1,000) bounds the mean's error;
            // the variance keeps about five digits.
            #expect(abs(Double(layer.runningMean.value[channel]) - mean) < 1e-4 * mean)
            #expect(abs(Double(layer.runningVariance.value[channel]) - unbiased) < 1e-4 * unbiased)
        }
    }
}
