import Foundation
import OrchardData
import Testing

@Suite("Partitions")
struct PartitionTests {
    /// 1,000 samples over 10 classes of unequal sizes (55 to 145), in a scrambled order.
    static let labels: [Int32] = {
        var labels = [Int32]()
        for label in 0..<10 { labels += Array(repeating: Int32(label), count: 55 + 10 * label) }
        return (0..<labels.count).map { labels[($0 * 7919) % labels.count] }
    }()

    /// Expects `parts` to be sorted, disjoint and to cover `0..<count`.
    static func expectCover(_ parts: [[Int]], count: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        for part in parts { #expect(part == part.sorted(), sourceLocation: sourceLocation) }
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<count), sourceLocation: sourceLocation)
    }

    /// The mean over clients of the entropy (in nats) of their label distribution.
    static func meanLabelEntropy(_ parts: [[Int]]) -> Double {
        let entropies = parts.map { part -> Double in
            var counts = [Int32: Int]()
            for index in part { counts[labels[index], default: 0] += 1 }
            return counts.values.reduce(0) { total, count in
                let share = Double(count) / Double(part.count)
                return total - share * log(share)
            }
        }
        return entropies.reduce(0, +) / Double(entropies.count)
    }

    @Test func iidIsBalancedCoveringAndSeeded() throws {
        let parts = try Partition.iid(count: 103, clients: 10, seed: 1)
        Self.expectCover(parts, count: 103)
        let sizes = parts.map(\.count)
        #expect(sizes.max()! - sizes.min()! <= 1)
        #expect(try Partition.iid(count: 103, clients: 10, seed: 1) == parts)
        #expect(try Partition.iid(count: 103, clients: 10, seed: 2) != parts)
        // A shuffle, not consecutive runs.
        #expect(parts[0] != Array(0..<parts[0].count))
        Self.expectCover(try Partition.iid(count: 5, clients: 5, seed: 0), count: 5)
    }

    @Test func iidRejectsBadClientCounts() {
        expectPartitionError(mentioning: ["clients must be positive", "0"]) {
            _ = try Partition.iid(count: 10, clients: 0, seed: 0)
        }
        expectPartitionError(mentioning: ["11 clients", "only 10 samples"]) {
            _ = try Partition.iid(count: 10, clients: 11, seed: 0)
        }
    }

    @Test func dirichletCoversAndRespectsMinimum() throws {
        let parts = try Partition.dirichlet(
            labels: Self.labels, classes: 10, clients: 10, alpha: 0.5, minimumPerClient: 20, seed: 3)
        #expect(parts.count == 10)
        Self.expectCover(parts, count: Self.labels.count)
        #expect(parts.allSatisfy { $0.count >= 20 })
        #expect(
            try Partition.dirichlet(
                labels: Self.labels, classes: 10, clients: 10, alpha: 0.5, minimumPerClient: 20, seed: 3) == parts)
        #expect(
            try Partition.dirichlet(
                labels: Self.labels, classes: 10, clients: 10, alpha: 0.5, minimumPerClient: 20, seed: 4) != parts)
    }

    @Test func dirichletSkewGrowsAsAlphaShrinks() throws {
        let skewed = try Partition.dirichlet(labels: Self.labels, classes: 10, clients: 10, alpha: 0.1, seed: 5)
        let mixed = try Partition.dirichlet(labels: Self.labels, classes: 10, clients: 10, alpha: 100, seed: 5)
        Self.expectCover(skewed, count: Self.labels.count)
        Self.expectCover(mixed, count: Self.labels.count)
        let skewedEntropy = Self.meanLabelEntropy(skewed)
        let mixedEntropy = Self.meanLabelEntropy(mixed)
        // log(10) = 2.30 is a uniform mix of ten classes.
        #expect(mixedEntropy > 2.1, "alpha 100 entropy \(mixedEntropy)")
        #expect(skewedEntropy < 1.5, "alpha 0.1 entropy \(skewedEntropy)")
    }

    @Test func dirichletExplainsImpossibleRequests() {
        expectPartitionError(mentioning: ["1000 attempts", "alpha is too small or minimumPerClient too large"]) {
            _ = try Partition.dirichlet(
                labels: Self.labels, classes: 10, clients: 10, alpha: 0.01, minimumPerClient: 95, seed: 0)
        }
        expectPartitionError(mentioning: ["minimumPerClient", "more than the 1000"]) {
            _ = try Partition.dirichlet(
                labels: Self.labels, classes: 10, clients: 20, alpha: 1, minimumPerClient: 60, seed: 0)
        }
        expectPartitionError(mentioning: ["alpha must be positive"]) {
            _ = try Partition.dirichlet(labels: Self.labels, classes: 10, clients: 4, alpha: 0, seed: 0)
        }
        expectPartitionError(mentioning: ["label 9 of sample", "outside 0..<5"]) {
            _ = try Partition.dirichlet(labels: Self.labels, classes: 5, clients: 4, alpha: 1, seed: 0)
        }
        expectPartitionError(mentioning: ["clients must be positive"]) {
            _ = try Partition.dirichlet(labels: Self.labels, classes: 10, clients: -1, alpha: 1, seed: 0)
        }
    }

    @Test(arguments: [1, 2, 3])
    func shardsLimitLabelsPerClient(classesPerClient: Int) throws {
        let parts = try Partition.shards(labels: Self.labels, clients: 20, classesPerClient: classesPerClient, seed: 6)
        #expect(parts.count == 20)
        Self.expectCover(parts, count: Self.labels.count)
        for part in parts {
            #expect(!part.isEmpty)
            #expect(Set(part.map { Self.labels[$0] }).count <= classesPerClient)
        }
        #expect(
            try Partition.shards(labels: Self.labels, clients: 20, classesPerClient: classesPerClient, seed: 6) == parts
        )
        #expect(
            try Partition.shards(labels: Self.labels, clients: 20, classesPerClient: classesPerClient, seed: 7) != parts
        )
    }

    @Test func shardsRejectImpossibleSplits() {
        expectPartitionError(mentioning: ["classesPerClient must be positive"]) {
            _ = try Partition.shards(labels: Self.labels, clients: 5, classesPerClient: 0, seed: 0)
        }
        expectPartitionError(mentioning: ["1200 shards", "more than the 1000 samples"]) {
            _ = try Partition.shards(labels: Self.labels, clients: 600, classesPerClient: 2, seed: 0)
        }
        expectPartitionError(mentioning: ["10 classes", "only 8 shards"]) {
            _ = try Partition.shards(labels: Self.labels, clients: 4, classesPerClient: 2, seed: 0)
        }
    }

    @Test func quantitySkewVariesSizesButNotContent() throws {
        let skewed = try Partition.quantitySkew(count: 1000, clients: 10, alpha: 0.5, minimumPerClient: 10, seed: 8)
        let even = try Partition.quantitySkew(count: 1000, clients: 10, alpha: 1000, minimumPerClient: 10, seed: 8)
        Self.expectCover(skewed, count: 1000)
        Self.expectCover(even, count: 1000)
        #expect(skewed.allSatisfy { $0.count >= 10 })
        func spread(_ parts: [[Int]]) -> Int { parts.map(\.count).max()! - parts.map(\.count).min()! }
        #expect(spread(skewed) > 3 * spread(even))
        #expect(
            try Partition.quantitySkew(count: 1000, clients: 10, alpha: 0.5, minimumPerClient: 10, seed: 8) == skewed)
        // Content is IID: the larger clients hold many classes.
        let largest = skewed.max { $0.count < $1.count }!
        #expect(Set(largest.map { Self.labels[$0] }).count == 10)
    }

    @Test func quantitySkewExplainsImpossibleRequests() {
        expectPartitionError(mentioning: ["alpha is too small or minimumPerClient too large"]) {
            _ = try Partition.quantitySkew(count: 100, clients: 10, alpha: 0.05, minimumPerClient: 9, seed: 0)
        }
        expectPartitionError(mentioning: ["3 clients", "only 2 samples"]) {
            _ = try Partition.quantitySkew(count: 2, clients: 3, alpha: 1, minimumPerClient: 0, seed: 0)
        }
    }
}
