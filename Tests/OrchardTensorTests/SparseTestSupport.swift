import OrchardTensor
import OrchardTestSupport
import Testing

/// Shared fixtures of the sparse-kernel tests: seeded patterns, values and a tolerance check.
enum SparseFixture {
    /// A pattern keeping round(density x rows x columns) positions drawn without replacement.
    static func pattern(rows: Int, columns: Int, density: Double, seed: UInt64) -> SparsePattern {
        var random = RandomStream(seed: seed, purpose: "pattern")
        let total = rows * columns
        let kept = Int((density * Double(total)).rounded())
        let positions = random.permutation(total).prefix(kept).sorted().map { Int32($0) }
        return SparsePattern(rows: rows, columns: columns, flatIndices: positions)
    }

    /// `count` values uniform in [-1, 1).
    static func values(_ count: Int, seed: UInt64, purpose: String) -> [Float] {
        var random = RandomStream(seed: seed, purpose: purpose)
        return (0..<count).map { _ in 2 * random.nextFloat() - 1 }
    }

    /// A tensor of the given shape filled with values uniform in [-1, 1).
    static func tensor(_ shape: [Int], seed: UInt64, purpose: String) -> Tensor {
        Tensor(shape: shape, values: values(shape.reduce(1, *), seed: seed, purpose: purpose))
    }

    /// The dense weight of a pattern and its values, in Double, zero at pruned positions.
    static func dense(_ pattern: SparsePattern, _ values: [Float]) -> [Double] {
        var dense = [Float](repeating: .nan, count: pattern.rows * pattern.columns)
        values.withUnsafeBufferPointer { source in
            dense.withUnsafeMutableBufferPointer { pattern.scatter(source.baseAddress!, into: $0.baseAddress!) }
        }
        return dense.map(Double.init)
    }

    /// Expects every value within `tolerance` of the reference, relative to the reference's largest
    /// finite magnitude (at least 1): sums of a few hundred float products agree to about 1e-6 of it.
    static func expectClose(
        _ actual: [Float], _ expected: [Double], tolerance: Double = 1e-4, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let scale = max(1, expected.lazy.filter(\.isFinite).map(abs).max() ?? 0)
        OrchardTestSupport.expectClose(
            actual, expected, within: Tolerance(absolute: tolerance * scale), what, sourceLocation: sourceLocation)
    }
}
