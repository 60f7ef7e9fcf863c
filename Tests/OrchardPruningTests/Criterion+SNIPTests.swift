import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardPruning

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Logistic regression on 3 features and 2 classes with known weights, and the softmax of its logits.
struct HandCheckedLogisticRegression {
    let network: Network
    let weights: [[Double]] = [[0.5, -1, 0.25], [-0.75, 0.3, 2]]
    let bias: [Double] = [0.1, -0.2]
    let inputs: [[Double]] = [[1, 2, -1], [0.5, -1, 3]]
    let labels: [Int32] = [0, 1]

    init() throws {
        network = try ModelZoo.make("logreg", sampleShape: [3], classes: 2)
        let weight = network.parameter(named: "fc.weight")!.value
        for row in 0..<2 { for column in 0..<3 { weight[row * 3 + column] = Float(weights[row][column]) } }
        let biasValue = network.parameter(named: "fc.bias")!.value
        for row in 0..<2 { biasValue[row] = Float(bias[row]) }
    }

    var batches: ScoringBatches {
        ScoringBatches(input: Tensor(shape: [2, 3], values: inputs.flatMap { $0.map(Float.init) }), labels: labels)
    }

    /// softmax(z / temperature) of each sample.
    func probabilities(temperature: Double) -> [[Double]] {
        inputs.map { x in
            let logits = (0..<2).map { row in
                ((0..<3).reduce(bias[row]) { $0 + weights[row][$1] * x[$1] }) / temperature
            }
            let largest = logits.max()!
            let exponentials = logits.map { exp($0 - largest) }
            let sum = exponentials.reduce(0, +)
            return exponentials.map { $0 / sum }
        }
    }

    /// dL/dW of the mean cross-entropy of z / temperature.
    func gradient(temperature: Double) -> [[Double]] {
        let p = probabilities(temperature: temperature)
        return (0..<2).map { row in
            (0..<3).map { column in
                (0..<2).reduce(0.0) { sum, n in
                    let target = Int(labels[n]) == row ? 1.0 : 0.0
                    return sum + (p[n][row] - target) * inputs[n][column] / temperature / 2
                }
            }
        }
    }
}

@Suite("SNIP")
struct SNIPTests {
    /// |dL/dW ⊙ W| with dL/dW = mean over samples of (p − y) xᵀ.
    @Test func logisticRegressionScoresByHand() throws {
        let model = try HandCheckedLogisticRegression()
        let layers = PrunableLayers(model.network)
        let scores = Criterion.snipScores(model.network, layers: layers, batches: model.batches)
        #expect(scores.names == ["fc.weight"])
        let gradient = model.gradient(temperature: 1)
        for row in 0..<2 {
            for column in 0..<3 {
                let expected = abs(gradient[row][column] * model.weights[row][column])
                #expect(abs(Double(scores.values[0][row * 3 + column]) - expected) < 1e-6)
            }
        }
    }

    /// Scoring runs batch norm in training mode; running statistics and gradients come back as they were.
    @Test func leavesBatchNormStatisticsAlone() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 8, 8], classes: 3, width: 0.25)
        let gradients = network.parameters.compactMap { $0.parameter.gradient?.values.map(\.bitPattern) }
        let state = stateBits(network)
        let layers = PrunableLayers(network)
        let scores = Criterion.snipScores(network, layers: layers, batches: tinyBatch(network, samples: 3, seed: 2))
        #expect(stateBits(network) == state)
        #expect(network.parameters.compactMap { $0.parameter.gradient?.values.map(\.bitPattern) } == gradients)
        #expect(scores.values.allSatisfy { layer in layer.contains { $0 > 0 } })
    }
}
