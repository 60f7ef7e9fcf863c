import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardPruning

@Suite("GraSP")
struct GraSPTests {
    /// For softmax cross-entropy of z / T with z = W x + b, the Hessian of the weights applied to V is
    /// mean over samples of (1/T²) J (V x) xᵀ, with J = diag(p) − p pᵀ; the keep-score is W ⊙ Hg.
    @Test(arguments: [1.0, 2.0])
    func logisticRegressionScoresByHand(temperature: Double) throws {
        let model = try HandCheckedLogisticRegression()
        let layers = PrunableLayers(model.network)
        let options = GraSPOptions(temperature: Float(temperature))
        let scores = Criterion.graspScores(model.network, layers: layers, batches: model.batches, options: options)
        let g = model.gradient(temperature: temperature)
        let p = model.probabilities(temperature: temperature)
        var product = [[Double]](repeating: [0, 0, 0], count: 2)
        for (n, x) in model.inputs.enumerated() {
            let direction = (0..<2).map { row in (0..<3).reduce(0.0) { $0 + g[row][$1] * x[$1] } }
            for row in 0..<2 {
                var jv = 0.0
                for other in 0..<2 {
                    let jacobian = (row == other ? p[n][row] : 0) - p[n][row] * p[n][other]
                    jv += jacobian * direction[other]
                }
                for column in 0..<3 { product[row][column] += jv * x[column] / (2 * temperature * temperature) }
            }
        }
        let expected: [Double] = (0..<6).map { index in
            let (row, column) = (index / 3, index % 3)
            return model.weights[row][column] * product[row][column]
        }
        let scale = expected.map { abs($0) }.max() ?? 0
        #expect(scale > 1e-4)
        for (score, reference) in zip(scores.values[0], expected) {
            #expect(abs(Double(score) - reference) < 2e-3 * scale, "\(score) against \(reference)")
        }
    }

    @Test func leavesTheNetworkAsItWas() throws {
        let network = try ModelZoo.make("resnet8", sampleShape: [3, 6, 6], classes: 3, width: 0.25)
        let state = stateBits(network)
        let scores = Criterion.graspScores(
            network, layers: PrunableLayers(network), batches: tinyBatch(network, samples: 3, seed: 4))
        #expect(stateBits(network) == state)
        #expect(scores.values.contains { layer in layer.contains { $0 != 0 } })
    }
}
