import RealModule
import Testing

/// How far a computed floating-point value may lie from its reference.
///
/// A value passes when |actual - expected| <= max(absolute, relative x max(|actual|, |expected|)):
/// swift-numerics' `isApproximatelyEqual(to:absoluteTolerance:relativeTolerance:)`, which also
/// makes every NaN a miss and lets an infinity pass only against the same infinity. Comparisons
/// written as `difference > tolerance` or folded with `max` silently drop a NaN, so a kernel that
/// writes NaN would pass them; every numeric suite compares through this type instead.
public struct Tolerance: Sendable, CustomStringConvertible {
    /// The difference always allowed, whatever the magnitudes.
    public let absolute: Double
    /// The difference allowed per unit of the larger magnitude of the two values.
    public let relative: Double

    /// A tolerance of `absolute` (finite, not negative) and `relative` (in [0, 1]).
    public init(absolute: Double, relative: Double = 0) {
        precondition(absolute >= 0 && absolute.isFinite, "absolute tolerance \(absolute)")
        precondition(relative >= 0 && relative <= 1, "relative tolerance \(relative)")
        self.absolute = absolute
        self.relative = relative
    }

    public var description: String { "absolute \(absolute), relative \(relative)" }

    /// Whether `actual` is within the tolerance of `expected`.
    public func accepts(_ actual: Double, _ expected: Double) -> Bool {
        actual.isApproximatelyEqual(to: expected, absoluteTolerance: absolute, relativeTolerance: relative)
    }

    /// Every position where `actual` and `expected` differ by more than the tolerance, in order,
    /// over their common length.
    public func mismatches<Actual: BinaryFloatingPoint, Expected: BinaryFloatingPoint>(
        _ actual: some Sequence<Actual>, _ expected: some Sequence<Expected>
    ) -> [Mismatch] {
        zip(actual, expected).enumerated().compactMap { index, pair in
            let (value, reference) = (Double(pair.0), Double(pair.1))
            return accepts(value, reference) ? nil : Mismatch(index: index, actual: value, expected: reference)
        }
    }
}

/// A position where a computed value and its reference differ by more than a tolerance.
public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let actual: Double
    public let expected: Double

    public var description: String { "[\(index)] \(actual) against \(expected)" }
}

/// Expects `actual` and `expected` to have the same count and to agree within `tolerance` at every
/// position; records one issue naming `what`, the number of misses and the first three.
public func expectClose<Actual: BinaryFloatingPoint, Expected: BinaryFloatingPoint>(
    _ actual: some Collection<Actual>, _ expected: some Collection<Expected>, within tolerance: Tolerance,
    _ what: String = "values", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
    let misses = tolerance.mismatches(actual, expected)
    #expect(
        misses.isEmpty, "\(what): \(misses.count) of \(expected.count) off (\(tolerance)), first \(misses.prefix(3))",
        sourceLocation: sourceLocation)
}
