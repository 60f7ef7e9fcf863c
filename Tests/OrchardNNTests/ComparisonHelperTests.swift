import OrchardTensor
import Testing

@testable import OrchardNN

/// The suites' own comparison helpers fail when a kernel writes NaN or an infinity.
@Suite("Comparison helpers on values that are not finite")
struct ComparisonHelperTests {
    @Test(arguments: [Float.nan, .infinity])
    func gradientCheckFailsOnAWeightThatIsNotFinite(value: Float) {
        var random = RandomStream(seed: 1, purpose: "comparison-helper")
        let layer = Linear(3, 2, random: &random)
        layer.weight.value[0] = value
        withKnownIssue("every derivative of the loss is \(value)") {
            GradientCheck().check(layer, input: randomTensor([2, 3], seed: 2))
        }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func tensorsCloseFailOnAValueThatIsNotFinite(value: Float) {
        let expected = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        withKnownIssue("\(value) written in place of 3") {
            expectClose(Tensor(shape: [2, 2], values: [1, 2, value, 4]), expected)
        }
        withKnownIssue("\(value) in the reference") {
            expectClose(expected, Tensor(shape: [2, 2], values: [1, 2, value, 4]))
        }
        withKnownIssue("\(value) against the Winograd suite's reference") {
            WinogradTests().expectClose(Tensor(shape: [2, 2], values: [1, 2, value, 4]), [1, 2, 3, 4], "y")
        }
    }
}
