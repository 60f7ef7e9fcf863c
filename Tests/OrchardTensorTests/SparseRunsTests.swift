import Testing

@testable import OrchardTensor

/// Checks the weight-gradient dots of `SparseRuns` against sums in Double.
@Suite struct SparseRunsTests {
    /// Rows of every entry count around the four and eight that share a load of dY, and none.
    static let entryCounts = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 23]

    @Test(arguments: [(length: 64, tile: 64), (length: 192, tile: 64), (length: 160, tile: 128)])
    func entryDotsMatchDouble(length: Int, tile: Int) {
        let counts = Self.entryCounts
        let (sourceLength, gradientStride) = (5 * length + 40, length + 16)
        var random = RandomStream(seed: 7, purpose: "offsets")
        var rowStarts: [Int32] = [0]
        var offsets: [Int32] = []
        for count in counts {
            // Runs overlap and repeat, as the shifted runs of one phase plane do.
            offsets += (0..<count).map { _ in Int32(Int(random.nextFloat() * Float(sourceLength - length - 1))) }
            rowStarts.append(Int32(offsets.count))
        }
        let source = SparseFixture.values(sourceLength + 16, seed: 7, purpose: "source")
        let gradient = SparseFixture.values(counts.count * gradientStride, seed: 7, purpose: "dY")
        var expected = [Double](repeating: 0, count: offsets.count)
        for row in 0..<counts.count {
            for entry in Int(rowStarts[row])..<Int(rowStarts[row + 1]) {
                for j in 0..<length {
                    expected[entry] +=
                        Double(gradient[row * gradientStride + j]) * Double(source[Int(offsets[entry]) + j])
                }
            }
        }
        // Stale sums are overwritten; with `accumulate`, a second call adds the same again.
        var sums = [Float](repeating: .nan, count: offsets.count)
        for accumulate in [false, true] {
            SparseRuns.entryDots(
                rows: counts.count, rowStarts: rowStarts, offsets: offsets, gradient: gradient,
                gradientStride: gradientStride, source: source, sums: &sums, length: length, tile: tile,
                accumulate: accumulate)
            let factor = accumulate ? 2.0 : 1.0
            SparseFixture.expectClose(sums, expected.map { $0 * factor }, "entry dots, accumulate \(accumulate)")
        }
    }
}
