import OrchardTensor
import Testing

@testable import OrchardNN

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

@Suite("Supermask layers: masks from scores, straight-through gradients, frozen weights")
struct SupermaskTests {
    let check = GradientCheck()

    static func linear(_ sampling: SupermaskSampling, weights: SupermaskWeights = .kaimingNormal) -> Supermask {
        var random = RandomStream(seed: 3)
        return Supermask(wrapping: Linear(7, 5, random: &random), weights: weights, sampling: sampling, random: &random)
    }

    static func convolution(_ sampling: SupermaskSampling) -> Supermask {
        var random = RandomStream(seed: 4)
        let layer = Conv2d(3, 4, kernelSize: 3, stride: 1, padding: 1, random: &random)
        return Supermask(wrapping: layer, weights: .signedConstant, sampling: sampling, random: &random)
    }

    /// Finite differences of the input, the bias and the frozen random weights.
    ///
    /// The loss depends on a random weight only where the mask keeps it, through the effective
    /// weight: d L / d random weight = d L / d effective weight x mask.
    func checkFiniteDifferences(_ layer: Supermask, input: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let mask = layer.mask(training: false)
        check.check(layer, input: input, sourceLocation: sourceLocation) { inputGradient in
            let effective = layer.layer.weight.gradient!
            let throughMask = Tensor(zeros: effective.shape)
            for index in 0..<mask.count where mask[index] { throughMask[index] = effective[index] }
            var entries = [(name: "random_weight", variable: layer.randomWeight.value, gradient: throughMask)]
            if let inputGradient { entries.append((name: "input", variable: input, gradient: inputGradient)) }
            if let bias = layer.layer.visitBias() {
                entries.append((name: "bias", variable: bias.value, gradient: bias.gradient!.copy()))
            }
            return entries
        }
    }

    @Test func linearTopKMatchesFiniteDifferences() {
        checkFiniteDifferences(Self.linear(.topK(density: 0.3)), input: randomTensor([4, 7], seed: 1))
    }

    @Test func convolutionTopKMatchesFiniteDifferences() {
        checkFiniteDifferences(Self.convolution(.topK(density: 0.5)), input: randomTensor([3, 2, 5, 5], seed: 2))
    }

    /// The scores' gradient is the effective weight's times the random weight, at kept and pruned
    /// positions alike; Bernoulli sampling multiplies it by sigmoid'(score).
    @Test(arguments: [SupermaskSampling.topK(density: 0.2), .bernoulli])
    func scoresGetTheStraightThroughGradient(sampling: SupermaskSampling) {
        for layer in [Self.linear(sampling), Self.convolution(sampling)] {
            let input = layer.layer is Linear ? randomTensor([4, 7], seed: 5) : randomTensor([3, 2, 5, 5], seed: 6)
            if sampling == .bernoulli {
                for index in 0..<layer.scores.value.count { layer.scores.value[index] = Float(index % 7) - 3 }
            }
            let output = layer.forward(input, mode: .training)
            _ = layer.backward(randomTensor(output.shape, seed: 7))
            let effective = layer.layer.weight.gradient!
            var nonZero = 0
            var pruned = 0
            let mask = layer.layer.weight.value
            for index in 0..<layer.scores.denseCount {
                var expected = effective[index] * layer.randomWeight.value[index]
                if sampling == .bernoulli {
                    let probability = 1 / (1 + expf(-layer.scores.value[index]))
                    expected *= probability * (1 - probability)
                }
                #expect(abs(layer.scores.gradient![index] - expected) <= 1e-6 * max(1, abs(expected)))
                if expected != 0 { nonZero += 1 }
                if mask[index] == 0 && expected != 0 { pruned += 1 }
            }
            #expect(nonZero > layer.scores.denseCount / 2)
            #expect(pruned > 0, "pruned positions get a gradient too")
        }
    }

    /// The effective weight is the random weight at the top-k scores and zero elsewhere.
    @Test func topKKeepsTheLargestScores() {
        let layer = Self.linear(.topK(density: 0.3))
        let input = randomTensor([2, 7], seed: 8)
        _ = layer.forward(input, mode: .training)
        let count = layer.scores.denseCount
        let kept = (0..<count).filter { layer.layer.weight.value[$0] != 0 }
        #expect(kept.count == 11)  // 35 x 0.3 = 10.5, rounded
        let smallestKept = kept.map { layer.scores.value[$0] }.min()!
        for index in 0..<count {
            if kept.contains(index) {
                #expect(layer.layer.weight.value[index] == layer.randomWeight.value[index])
            } else {
                #expect(layer.scores.value[index] <= smallestKept)
            }
        }
        let tied: [Float] = [1, 3, 3, 0]
        #expect(
            tied.withUnsafeBufferPointer { Supermask.topK($0.baseAddress!, count: 4, density: 0.25) } == [
                false, true, false, false,
            ])
        #expect(Supermask.keptCount(10, density: 0.01) == 1)
        #expect(Supermask.keptCount(10, density: 2) == 10)
    }

    /// Signed constants are ±sqrt(2 / fanIn) with both signs; Kaiming-normal values have that spread.
    @Test func randomWeightsFollowTheirInitializer() {
        let constant = Self.linear(.topK(density: 0.5), weights: .signedConstant)
        let scale = Float((2.0 / 7).squareRoot())
        let values = constant.randomWeight.value.values
        #expect(values.allSatisfy { $0 == scale || $0 == -scale })
        #expect(values.contains(scale) && values.contains(-scale))
        var random = RandomStream(seed: 9)
        let wide = Supermask(
            wrapping: Linear(200, 50, random: &random), weights: .kaimingNormal, sampling: .topK(density: 0.1),
            random: &random)
        let normal = wide.randomWeight.value.values.map(Double.init)
        let variance = normal.map { $0 * $0 }.reduce(0, +) / Double(normal.count)
        #expect(abs(variance - 2.0 / 200) < 0.1 * 2.0 / 200)
    }

    /// Bernoulli masks keep each position with its probability, reproducibly from the stream, and
    /// evaluation keeps the positions above one half.
    @Test func bernoulliDrawsFollowTheProbabilities() {
        var random = RandomStream(seed: 10)
        let layer = Supermask(
            wrapping: Linear(100, 100, random: &random), weights: .signedConstant, sampling: .bernoulli,
            initialProbability: 0.2, random: &random)
        #expect(abs(Double(1 / (1 + expf(-layer.scores.value[0]))) - 0.2) < 1e-6)
        let start = layer.random
        let first = layer.mask(training: true)
        let fraction = Double(first.filter { $0 }.count) / Double(first.count)
        #expect(abs(fraction - 0.2) < 0.02)
        layer.random = start
        #expect(layer.mask(training: true) == first)
        #expect(layer.mask(training: true) != first)
        #expect(layer.mask(training: false).allSatisfy { !$0 })
        layer.scores.value[3] = 0.5
        #expect(layer.mask(training: false).enumerated().filter(\.element).map(\.offset) == [3])
    }

    /// Training a supermasked model changes only the scores; it learns a separable task.
    @Test func trainingChangesOnlyScores() throws {
        let base = try ModelZoo.make("mlp", sampleShape: [6], classes: 2, seed: 1)
        let network = try Supermask.network(
            wrapping: base, weights: .signedConstant, sampling: .topK(density: 0.5), seed: 1)
        #expect(network.trainableParameters.allSatisfy { $0.kind == .score })
        #expect(network.trainableCount == 6 * 300 + 300 * 100 + 100 * 2)
        let frozen = network.parameters.filter { $0.parameter.kind != .score && $0.parameter.kind != .weight }
            .map { $0.parameter.value.values }
        let scores = network.trainableParameters.map(\.value.values)
        let trainer = Trainer(network: network, learningRate: 0.5, momentum: 0.9)
        let input = randomTensor([32, 6], seed: 11)
        let labels = (0..<32).map { Int32(input[$0 * 6] > 0 ? 1 : 0) }
        var first: Float = 0
        var last: Float = 0
        for step in 0..<30 {
            let loss = labels.withUnsafeBufferPointer { trainer.step(input, labels: $0.baseAddress!).loss }
            if step == 0 { first = loss }
            last = loss
        }
        #expect(last < first * 0.8, "loss \(first) -> \(last)")
        #expect(network.trainableParameters.map(\.value.values) != scores)
        #expect(
            network.parameters.filter { $0.parameter.kind != .score && $0.parameter.kind != .weight }
                .map { $0.parameter.value.values } == frozen)
        #expect(Supermask.layers(of: network).map(\.name) == ["fc1.weight", "fc2.weight", "fc3.weight"])
    }

    /// The predicted footprint counts scores, random and effective weights, the effective
    /// weights' gradients and the scores' momentum, as the ledger does.
    @Test(arguments: ["mlp", "lenet5"])
    func footprintMatchesTheLedger(model: String) throws {
        let shape = model == "mlp" ? [1, 8, 8] : [1, 28, 28]
        let (network, state) = try MemoryScope.measure {
            try Supermask.network(
                wrapping: try ModelZoo.make(model, sampleShape: shape, classes: 10, seed: 2), weights: .kaimingNormal,
                sampling: .bernoulli, seed: 2)
        }
        let predicted = network.predictedFootprint(batch: 4, momentum: true)
        let (_, steps) = MemoryScope.measure {
            let trainer = Trainer(network: network, learningRate: 0.01, momentum: 0.9)
            let input = randomTensor([4] + shape, seed: 12)
            let labels: [Int32] = [0, 1, 2, 3]
            for _ in 0..<2 { _ = labels.withUnsafeBufferPointer { trainer.step(input, labels: $0.baseAddress!) } }
            return (trainer, input)
        }
        let scores = network.trainableParameters.reduce(0) { $0 + $1.value.byteCount }
        #expect(predicted.parameters == state.byRole[TensorRole.parameter.rawValue])
        #expect(predicted.gradients == state.byRole[TensorRole.gradient.rawValue])
        #expect(predicted.optimizer == scores)
        #expect(predicted.optimizer == steps.byRole[TensorRole.optimizerState.rawValue])
        #expect(predicted.total == state.total + steps.peak)
    }

    /// Batch norms and residual blocks would train beside the scores: refused, naming the layer.
    @Test func refusesLayersItDoesNotCover() throws {
        let vgg = try ModelZoo.make("vgg11", sampleShape: [3, 32, 32], classes: 10, width: 0.125)
        #expect(throws: NetworkError.self) {
            try Supermask.network(wrapping: vgg, weights: .signedConstant, sampling: .bernoulli, seed: 1)
        }
    }
}

extension PrunableLayer {
    /// The bias parameter, if the layer has one.
    func visitBias() -> Parameter? {
        var bias: Parameter?
        visitParameters(prefix: "") { _, parameter in if parameter.kind == .bias { bias = parameter } }
        return bias
    }
}
