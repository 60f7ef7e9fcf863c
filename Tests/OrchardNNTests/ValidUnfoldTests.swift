import Testing

@testable import OrchardNN
@testable import OrchardTensor

@Suite("Unfolding without padding at stride 1")
struct ValidUnfoldTests {
    /// Every entry of dX and dW where the columns take `Im2Col`'s valid-only loops: output lines of
    /// 8, 10 (LeNet-5's conv2), 17 and 9 values, so the overlapping last move and each add tail run.
    @Test(arguments: [(5, 12), (5, 14), (5, 21), (3, 11)])
    func everyEntryMatchesFiniteDifferences(shape: (kernel: Int, width: Int)) {
        var random = RandomStream(seed: 12)
        let layer = Conv2d(2, 3, kernelSize: shape.kernel, random: &random)
        layer.planOptions.columnBudgetBytes = 1  // one sample per group, so `first` moves
        layer.planOptions.minimumGroupPositions = 0
        // Lines of 17 and 9 would run over wide rows (under 30% thrown away).
        layer.planOptions.excludedPaths = [.wide]
        let input = randomTensor([2, 2, 6, shape.width], seed: 13)
        let g = layer.geometry(input.shape)
        #expect(Im2Col.isValidOnly(g) && layer.path(for: input.shape) == .im2col)
        GradientCheck(samplesPerTensor: 10_000).check(layer, input: input)
    }
}
