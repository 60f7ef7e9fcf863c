import OrchardNN
import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardFederation

/// Coordinate-wise median, trimmed mean and norm clipping, on values small enough to compute by
/// hand.
@Suite("Robust aggregation")
struct RobustAggregationTests {
    static let trimmedFifth = Aggregation(rule: .trimmedMean(trim: 0.2))

    /// One tensor `w` of the given values for each client, every position kept, weight 1.
    static func dense(_ clients: [[Float]]) -> [MaskedAverage.Contribution] {
        clients.map { (1, [("w", Tensor(shape: [$0.count], values: $0, role: .data), nil)]) }
    }

    /// The aggregate of `w` under `aggregation`.
    static func aggregate(
        _ contributions: [MaskedAverage.Contribution], _ aggregation: Aggregation, count: Int,
        reference: [String: Tensor] = [:]
    ) throws -> (values: [Float], mask: [Int32]?) {
        let (values, masks) = try MaskedAverage.average(
            contributions, shapes: ["w": [count]], aggregation: aggregation, reference: reference)
        return (try #require(values["w"]), masks["w"])
    }

    @Test func medianOfAnOddCountIsTheMiddleValue() throws {
        let clients: [[Float]] = [[1, -2, 7], [5, -9, 7], [2, 4, 0]]
        #expect(try Self.aggregate(Self.dense(clients), Aggregation(rule: .median), count: 3).values == [2, -2, 7])
    }

    @Test func medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() throws {
        let clients: [[Float]] = [[1, 10], [5, -10], [2, 3], [8, 4]]
        // Sorted: 1 2 5 8 -> (2 + 5) / 2; -10 3 4 10 -> (3 + 4) / 2.
        #expect(try Self.aggregate(Self.dense(clients), Aggregation(rule: .median), count: 2).values == [3.5, 3.5])
    }

    /// Each position counts only the clients that keep it: three, two, one and none of them.
    @Test func medianOfMaskedPositionsCountsOnlyTheKeepers() throws {
        let contributions: [MaskedAverage.Contribution] = [
            (1, [("w", Tensor(shape: [4], values: [4, 6, 0, 0], role: .data), [0, 1])]),
            (2, [("w", Tensor(shape: [4], values: [1, 0, 9, 0], role: .data), [0, 2])]),
            (5, [("w", Tensor(shape: [4], values: [3, 2, 0, 0], role: .data), [0, 1])]),
        ]
        let (values, mask) = try Self.aggregate(contributions, Aggregation(rule: .median), count: 4)
        // Position 0: 1 3 4 -> 3; position 1: 2 6 -> 4 (sample weights play no part); position
        // 2: 9 alone; position 3: kept by none, so pruned.
        #expect(values == [3, 4, 9, 0])
        #expect(mask == [0, 1, 2])
    }

    /// A fifth dropped at each end: one value of five, none of four (floor(0.8) = 0).
    @Test func trimmedMeanDropsTheFractionAtEachEnd() throws {
        let contributions: [MaskedAverage.Contribution] = [
            (1, [("w", Tensor(shape: [2], values: [1, 2], role: .data), [0, 1])]),
            (1, [("w", Tensor(shape: [2], values: [100, 4], role: .data), [0, 1])]),
            (1, [("w", Tensor(shape: [2], values: [3, 0], role: .data), [0])]),
            (1, [("w", Tensor(shape: [2], values: [-50, 6], role: .data), [0, 1])]),
            (9, [("w", Tensor(shape: [2], values: [5, 100], role: .data), [0, 1])]),
        ]
        let (values, mask) = try Self.aggregate(contributions, Self.trimmedFifth, count: 2)
        // Position 0: -50 1 3 5 100 -> (1 + 3 + 5) / 3; position 1: 2 4 6 100 -> their mean, 28.
        #expect(values == [3, 28])
        #expect(mask == [0, 1])
    }

    @Test func trimmedCountsAreFloorsThatLeaveAValue() {
        #expect(Aggregation.Rule.trimmedMean(trim: 0.29).dropped(from: 100) == 29)
        #expect(Aggregation.Rule.trimmedMean(trim: 0.1).dropped(from: 10) == 1)
        #expect(Aggregation.Rule.trimmedMean(trim: 0.1).dropped(from: 9) == 0)
        #expect(Aggregation.Rule.trimmedMean(trim: 0.25).dropped(from: 4) == 1)
        #expect(Aggregation.Rule.trimmedMean(trim: 0.49).dropped(from: 2) == 0)
        #expect(Aggregation.Rule.trimmedMean(trim: 0.4999999999).dropped(from: 3) == 1)
        #expect(Aggregation.Rule.median.dropped(from: 5) == 2)
        #expect(Aggregation.Rule.median.dropped(from: 4) == 1)
        #expect(Aggregation.Rule.median.dropped(from: 1) == 0)
    }

    /// The in-place sort agrees with the standard library's on both sides of its switch from
    /// insertion sort to heapsort, and puts NaN at the end where a trim drops it.
    @Test(arguments: [3, 16, 17, 101])
    func sortOrdersLikeTheStandardLibrary(count: Int) {
        var random = RandomStream(seed: UInt64(count), purpose: "robust-sort")
        var values = (0..<count).map { _ in Float(random.nextDouble() * 200 - 100) }
        let expected = values.sorted()
        values.withUnsafeMutableBufferPointer { Aggregation.sort($0) }
        #expect(values == expected)
        var poisoned: [Float] = [2, .nan, 1, 3, -.infinity]
        poisoned.withUnsafeMutableBufferPointer { Aggregation.sort($0) }
        #expect(Array(poisoned.prefix(4)) == [-.infinity, 1, 2, 3] && poisoned[4].isNaN)
    }

    /// An update of norm 5 clipped to 2.5 is halved, measured from the global model's values;
    /// the running statistics are neither measured nor scaled.
    @Test func clippingScalesALargeUpdateToTheLimit() throws {
        let reference = ["w": Tensor(shape: [3], values: [1, 1, 1], role: .data)]
        let client: [Aggregation.ClientTensor] = [
            ("w", Tensor(shape: [3], values: [4, 5, 1], role: .data), nil),
            ("bn.running_var", Tensor(shape: [1], values: [1e6], role: .data), nil),
        ]
        let clipped = try Aggregation.clipped(client, reference: reference, limit: 2.5)
        #expect(clipped[0].dense.values == [2.5, 3, 1])
        #expect(clipped[1].dense.values == [1e6])
        #expect(try Aggregation.updateNorm(clipped, reference: reference) == 2.5)
    }

    /// With values that are not exact in binary, the clipped norm is the limit within 1e-6 of it
    /// (one Float rounding per value).
    @Test func clippedNormIsTheLimitWithinFloatRounding() throws {
        var random = RandomStream(seed: 9, purpose: "robust-clip")
        let origin = Tensor(shape: [50], values: (0..<50).map { _ in random.nextFloat() }, role: .data)
        let update = Tensor(
            shape: [50], values: (0..<50).map { _ in Float(random.nextDouble() * 40 - 20) }, role: .data)
        let clipped = try Aggregation.clipped([("w", update, nil)], reference: ["w": origin], limit: 0.7)
        let norm = try Aggregation.updateNorm(clipped, reference: ["w": origin])
        #expect(abs(norm - 0.7) <= 0.7 * 1e-6)
    }

    /// An update within the limit is passed on as sent, not copied; only kept positions count.
    @Test func clippingLeavesASmallUpdateUntouched() throws {
        let reference = ["w": Tensor(shape: [3], values: [0, 0, 0], role: .data)]
        let sent = Tensor(shape: [3], values: [3, 4, 1000], role: .data)
        // Only positions 0 and 1 are kept: the norm is 5, not 1000.
        let clipped = try Aggregation.clipped([("w", sent, [0, 1])], reference: reference, limit: 5)
        #expect(clipped[0].dense.storage === sent.storage)
        #expect(clipped[0].dense.values == [3, 4, 1000])
    }

    /// Clipping runs before the rule: two clients, one far off, averaged by weight.
    @Test func clippingThenMeanThroughTheMaskedAverage() throws {
        let reference = ["w": Tensor(shape: [2], values: [0, 0], role: .data)]
        let contributions = Self.dense([[0.3, 0.4], [30, 40]])
        let (values, _) = try Self.aggregate(
            contributions, Aggregation(clipNorm: 1), count: 2, reference: reference)
        // [30, 40] has norm 50, clipped to [0.6, 0.8]; [0.3, 0.4] stays; the mean is [0.45, 0.6].
        #expect(abs(values[0] - 0.45) < 1e-6 && abs(values[1] - 0.6) < 1e-6)
        #expect(throws: FederationError.self) { try Self.aggregate(contributions, Aggregation(clipNorm: 1), count: 2) }
    }

    @Test func settingsOutOfRangeAreRefused() {
        for aggregation in [
            Aggregation(rule: .trimmedMean(trim: 0.5)), Aggregation(rule: .trimmedMean(trim: -0.1)),
            Aggregation(rule: .trimmedMean(trim: .nan)), Aggregation(clipNorm: 0), Aggregation(clipNorm: .infinity),
        ] {
            #expect(throws: FederationError.self, "\(aggregation)") {
                try Self.aggregate(Self.dense([[1]]), aggregation, count: 1)
            }
        }
    }
}
