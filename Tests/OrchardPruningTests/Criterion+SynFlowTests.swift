import OrchardNN
import OrchardTensor
import OrchardTestSupport
import Testing

@testable import OrchardPruning

@Suite("SynFlow")
struct SynFlowTests {
    /// For an MLP of absolute weights on an all-ones input every ReLU passes, so
    /// R = 1ᵀ(|W3| (|W2| (|W1| 1 + |b1|) + |b2|) + |b3|) and the scores have closed forms.
    @Test func multilayerPerceptronScoresByHand() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [4], classes: 2)
        func absolute(_ name: String) -> [Double] {
            network.parameter(named: name)!.value.values.map { Double(abs($0)) }
        }
        let (w1, b1, w2, b2, w3) = (
            absolute("fc1.weight"), absolute("fc1.bias"), absolute("fc2.weight"), absolute("fc2.bias"),
            absolute("fc3.weight")
        )
        let (inputs, hidden1, hidden2, outputs) = (4, 300, 100, 2)
        let a1 = (0..<hidden1).map { row in (0..<inputs).reduce(b1[row]) { $0 + w1[row * inputs + $1] } }
        let a2 = (0..<hidden2).map { row in (0..<hidden1).reduce(b2[row]) { $0 + w2[row * hidden1 + $1] * a1[$1] } }
        // u3 = 1ᵀ|W3| (dR/da2), u2 = u3ᵀ|W2| (dR/da1).
        let u3 = (0..<hidden2).map { column in (0..<outputs).reduce(0.0) { $0 + w3[$1 * hidden2 + column] } }
        let u2 = (0..<hidden1).map { column in (0..<hidden2).reduce(0.0) { $0 + u3[$1] * w2[$1 * hidden1 + column] } }
        let scores = try Criterion.synFlowScores(network, layers: PrunableLayers(network))
        // Float32 sums of at most 300 positive products against these Double ones: 1e-4 relative
        // (the scores are products of absolute values, so all positive and no absolute floor is needed).
        func check(_ layer: Int, _ expected: (Int) -> Double) {
            let reference = scores.values[layer].indices.map(expected)
            expectClose(
                scores.values[layer], reference, within: Tolerance(absolute: 0, relative: 1e-4), "layer \(layer)")
        }
        check(0) { u2[$0 / inputs] * w1[$0] }
        check(1) { u3[$0 / hidden1] * a1[$0 % hidden1] * w2[$0] }
        check(2) { a2[$0 % hidden2] * w3[$0] }
    }

    /// Logistic regression: dR/dW = 1, so SynFlow is magnitude pruning, in one round or many.
    @Test func logisticRegressionIsMagnitude() throws {
        let network = try ModelZoo.make("logreg", sampleShape: [8], classes: 4, seed: 3)
        let plan = PruningPlan(density: 0.25, budget: .overPrunableParameters, allocation: .layerwise(.uniform))
        let magnitude = try Criterion.magnitude.mask(for: network, plan: plan)
        #expect(try Criterion.synFlowMask(network, plan: plan, iterations: 1) == magnitude)
        #expect(try Criterion.synFlowMask(network, plan: plan, iterations: 10) == magnitude)
    }

    /// Batch norm is an evaluation-mode affine map of the running statistics.
    ///
    /// Making a running variance 4 times larger halves that channel's scale, and every path from the convolution
    /// before it to R passes through it (the rest of the linearised network is linear), so that
    /// convolution's scores halve exactly. Scoring leaves the network untouched.
    @Test func batchNormUsesRunningStatisticsWithoutSideEffects() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 6, 6], classes: 2, width: 0.25)
        let layers = PrunableLayers(network)
        let state = stateBits(network)
        let before = try Criterion.synFlowScores(network, layers: layers)
        #expect(stateBits(network) == state)
        let variance = network.parameter(named: "layer3.0.bn2.running_var")!.value
        // ε = 1e-5 is negligible next to 1 and 4, so the channel's scale halves.
        for channel in 0..<variance.count { variance[channel] = 4 * (variance[channel] + 1e-5) - 1e-5 }
        let after = try Criterion.synFlowScores(network, layers: layers)
        let conv = layers.names.firstIndex(of: "layer3.0.conv2.weight")!
        let ratios = zip(after.values[conv], before.values[conv]).filter { $1 > 0 }.map { $0 / $1 }
        #expect(!ratios.isEmpty)
        #expect(ratios.allSatisfy { abs($0 - 0.5) < 1e-4 }, "ratios \(ratios.min()!)...\(ratios.max()!)")
    }

    @Test func iterativeMasksAreReproducibleAndHitTheTarget() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 12, 12], classes: 3)
        let plan = PruningPlan(
            density: 0.1, budget: .overPrunableParameters, allocation: .global(minimum: LayerMinimum(fraction: 0.02)))
        let mask = try Criterion.synFlowMask(network, plan: plan, iterations: 5)
        #expect(mask.count == Int(0.1 * Double(PrunableLayers(network).prunableCount)))
        #expect(try Criterion.synFlowMask(network, plan: plan, iterations: 5) == mask)
        #expect(throws: PruningError.self) { try Criterion.synFlowMask(network, plan: plan, iterations: 0) }
    }
}
