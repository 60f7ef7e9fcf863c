import OrchardTensor
import OrchardTestSupport
import Testing

@testable import OrchardNN

/// Central finite differences against a layer's backward pass.
///
/// The scalar checked is L = sum(forward(x) * R) for a fixed random R, accumulated in Double, so
/// dL/dy = R. Step 1e-2 on Float32 values of order 1 gives central differences good to about
/// 1e-3 absolute; the check allows 2e-2 absolute and relative, which catches every wrong index or
/// missing term while tolerating Float32 rounding. Points where a ReLU or max-pool switches inside
/// the step are detected and skipped, and may not be more than a quarter. A loss or gradient that
/// is not finite is a failure.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance = Tolerance(absolute: 2e-2, relative: 2e-2)
    var samplesPerTensor = 24

    func loss(_ layer: any Layer, _ input: Tensor, _ weights: Tensor) -> Double {
        let output = layer.forward(input, mode: .training)
        var sum = 0.0
        for index in 0..<output.count { sum += Double(output[index]) * Double(weights[index]) }
        return sum
    }

    /// Checks the input gradient and every trained parameter's gradient of `layer` at `input`.
    func check(_ layer: any Layer, input: Tensor, seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        var random = RandomStream(seed: seed, purpose: "gradient-check")
        layer.needsInputGradient = true
        let output = layer.forward(input, mode: .training)
        let weights = Tensor(zeros: output.shape)
        for index in 0..<weights.count { weights[index] = Float(random.nextNormal()) }
        let inputGradient = layer.backward(weights)?.copy()
        var parameters: [(String, Parameter)] = []
        layer.visitParameters(prefix: "") { parameters.append(($0, $1)) }
        let parameterGradients = parameters.map { $0.1.gradient?.copy() }

        compare("input", input, inputGradient, layer, input, weights, &random, sourceLocation)
        for ((name, parameter), gradient) in zip(parameters, parameterGradients) where gradient != nil {
            compare(name, parameter.value, gradient, layer, input, weights, &random, sourceLocation)
        }
    }

    /// Checks gradients that are not a parameter's own against finite differences: `analytic`
    /// gets the input gradient of one backward pass and names each variable with its gradient.
    ///
    /// A supermask's scores have no derivative (its straight-through gradient is not one), so its
    /// test checks the input, the bias and the frozen random weights this way.
    func check(
        _ layer: any Layer, input: Tensor, seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation,
        analytic: (Tensor?) -> [(name: String, variable: Tensor, gradient: Tensor)]
    ) {
        var random = RandomStream(seed: seed, purpose: "gradient-check")
        layer.needsInputGradient = true
        let output = layer.forward(input, mode: .training)
        let weights = Tensor(zeros: output.shape)
        for index in 0..<weights.count { weights[index] = Float(random.nextNormal()) }
        let inputGradient = layer.backward(weights)?.copy()
        for entry in analytic(inputGradient) {
            compare(entry.name, entry.variable, entry.gradient, layer, input, weights, &random, sourceLocation)
        }
    }

    private func compare(
        _ name: String, _ variable: Tensor, _ analytic: Tensor?, _ layer: any Layer, _ input: Tensor,
        _ weights: Tensor, _ random: inout RandomStream, _ sourceLocation: SourceLocation
    ) {
        guard let analytic else {
            Issue.record("no gradient for \(name)", sourceLocation: sourceLocation)
            return
        }
        #expect(analytic.shape == variable.shape, "\(name) gradient shape", sourceLocation: sourceLocation)
        let indices =
            variable.count <= samplesPerTensor
            ? Array(0..<variable.count) : (0..<samplesPerTensor).map { _ in random.nextInt(below: variable.count) }
        var kinks = 0
        for index in indices {
            let numeric = derivative(variable, index, step, layer, input, weights)
            // Where a ReLU or max-pool switches within the step, the difference quotient is not a
            // derivative; halving the step changes it then, and such points are skipped.
            let refined = derivative(variable, index, step / 2, layer, input, weights)
            guard numeric.isFinite && refined.isFinite else {
                Issue.record("\(name)[\(index)]: numeric derivative \(numeric)", sourceLocation: sourceLocation)
                continue
            }
            if !tolerance.accepts(Double(numeric), Double(refined)) {
                kinks += 1
                continue
            }
            #expect(
                tolerance.accepts(Double(analytic[index]), Double(numeric)),
                "\(name)[\(index)]: analytic \(analytic[index]), numeric \(numeric)", sourceLocation: sourceLocation)
        }
        #expect(
            kinks * 4 <= indices.count, "\(name): \(kinks) of \(indices.count) points at kinks",
            sourceLocation: sourceLocation)
    }

    private func derivative(
        _ variable: Tensor, _ index: Int, _ step: Float, _ layer: any Layer, _ input: Tensor, _ weights: Tensor
    ) -> Float {
        let original = variable[index]
        variable[index] = original + step
        let above = loss(layer, input, weights)
        variable[index] = original - step
        let below = loss(layer, input, weights)
        variable[index] = original
        return Float((above - below) / Double(2 * step))
    }
}

/// A tensor of standard normal values.
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var random = RandomStream(seed: seed, purpose: "test-input")
    let tensor = Tensor(zeros: shape)
    for index in 0..<tensor.count { tensor[index] = Float(random.nextNormal()) }
    return tensor
}
