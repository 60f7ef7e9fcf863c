import OrchardTensor
import Testing

@testable import OrchardNN

/// The initial weight distributions, per layer kind, against PyTorch's.
///
/// Tolerances: sample variances within 10% of the distribution's. The smallest uniform tensor has
/// 2,400 values (standard error of its sample variance 1.8%), the normal one 4,608 (2.1%), so 10%
/// is over four standard errors; the draws are seeded, so the test is deterministic.
@Suite("Initialisation")
struct InitializerTests {
    func statistics(_ tensor: Tensor) -> (mean: Double, variance: Double, largest: Float) {
        let values = (0..<tensor.count).map { Double(tensor[$0]) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        // Folded so that a NaN, which `max` would drop, stays the largest and fails every bound.
        let largest = (0..<tensor.count).reduce(Float(0)) { $0.isNaN || abs(tensor[$1]) <= $0 ? $0 : abs(tensor[$1]) }
        return (mean, variance, largest)
    }

    /// Checks U(-bound, bound): every value inside, variance bound^2 / 3, mean near 0.
    func expectUniform(_ tensor: Tensor, bound: Float, _ name: String) {
        let (mean, variance, largest) = statistics(tensor)
        let expected = Double(bound * bound) / 3
        #expect(largest <= bound, "\(name): \(largest) outside ±\(bound)")
        #expect(abs(variance / expected - 1) < 0.1, "\(name): variance \(variance), expected \(expected)")
        #expect(abs(mean) < 0.1 * Double(bound), "\(name): mean \(mean)")
    }

    @Test func linearDrawsWeightsAndBiasesAsPyTorchDoes() {
        var random = RandomStream(seed: 3, purpose: "init")
        let layer = Linear(400, 120, random: &random)
        let bound = 1 / Float(400).squareRoot()
        expectUniform(layer.weight.value, bound: bound, "weight")
        // 120 biases are too few for a variance check; the bound is what matters.
        #expect(statistics(layer.bias!.value).largest <= bound)
    }

    @Test func convolutionUsesInputChannelsTimesKernelAreaAsFanIn() {
        var random = RandomStream(seed: 4, purpose: "init")
        let layer = Conv2d(6, 16, kernelSize: 5, random: &random)
        let bound = 1 / Float(6 * 25).squareRoot()
        expectUniform(layer.weight.value, bound: bound, "weight")
        #expect(statistics(layer.bias!.value).largest <= bound)
    }

    @Test func kaimingNormalFanOutHasVarianceTwoOverFanOut() {
        var random = RandomStream(seed: 5, purpose: "init")
        let layer = Conv2d(16, 32, kernelSize: 3, initializer: .kaimingNormalFanOut, random: &random)
        let (mean, variance, _) = statistics(layer.weight.value)
        let expected = 2 / Double(32 * 9)
        #expect(abs(variance / expected - 1) < 0.1, "variance \(variance), expected \(expected)")
        #expect(abs(mean) < 0.1 * expected.squareRoot())
        #expect(statistics(layer.bias!.value).largest == 0)
    }
}
