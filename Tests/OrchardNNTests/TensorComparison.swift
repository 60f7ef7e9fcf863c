import OrchardTensor
import OrchardTestSupport
import Testing

extension Tolerance {
    /// Float32 sums of up to a few hundred products of order 1 taken in another order (direct or
    /// Winograd against GEMM, sparse against masked): 1e-4 absolute and relative, far above their
    /// rounding (about 1e-6) and far below what a wrong index or a missing term changes.
    static let reordered = Tolerance(absolute: 1e-4, relative: 1e-4)
}

/// Expects two tensors of the same shape that agree within `tolerance` at every position.
func expectClose(
    _ actual: Tensor, _ expected: Tensor, within tolerance: Tolerance = .reordered, _ what: String = "values",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    OrchardTestSupport.expectClose(
        actual.values, expected.values, within: tolerance, what, sourceLocation: sourceLocation)
}
