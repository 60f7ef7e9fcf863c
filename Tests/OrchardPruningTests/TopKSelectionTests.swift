import OrchardTensor
import Testing

@testable import OrchardPruning

@Suite("Memory-bounded top-K selection")
struct TopKSelectionTests {
    /// A random mask and gradient, with repeated magnitudes (signs differ) so that ties happen.
    static func problem(size: Int, active: Int, seed: UInt64) -> (TensorMask, [Float]) {
        var random = RandomStream(seed: seed)
        let kept = random.permutation(size).prefix(active).sorted().map { Int32($0) }
        let gradient = (0..<size).map { _ in
            Float(random.nextInt(below: 20)) * (random.nextInt(below: 2) == 0 ? 1 : -1) / 4
        }
        return (TensorMask(shape: [size], activeIndices: kept), gradient)
    }

    /// The reference: every pruned position sorted by |g| descending, then index ascending.
    static func bruteForce(_ mask: TensorMask, _ gradient: [Float], k: Int) -> [Int32] {
        let sorted = mask.inactiveIndices.sorted {
            let (a, b) = (abs(gradient[Int($0)]), abs(gradient[Int($1)]))
            return a != b ? a > b : $0 < $1
        }
        return Array(sorted.prefix(k))
    }

    static func select(_ mask: TensorMask, _ gradient: [Float], k: Int, budget: Int, calls: inout [Int])
        throws -> TopKSelection
    {
        var sizes: [Int] = []
        let selection = try TopKSelection(k: k, of: mask, budgetBytes: budget) { positions, into in
            sizes.append(positions.count)
            for (slot, position) in positions.enumerated() {
                #expect(!mask.contains(Int(position)), "asked for active position \(position)")
                into[slot] = gradient[Int(position)]
            }
        }
        calls = sizes
        return selection
    }

    @Test(arguments: [
        (size: 1000, active: 100, k: 10, budget: 400), (size: 1000, active: 100, k: 50, budget: 4096),
        (size: 257, active: 0, k: 31, budget: 256), (size: 500, active: 490, k: 10, budget: 1 << 20),
        (size: 500, active: 480, k: 100, budget: 1 << 20), (size: 64, active: 10, k: 0, budget: 8),
        (size: 300, active: 30, k: 5, budget: 48),
    ])
    func matchesBruteForce(_ case: (size: Int, active: Int, k: Int, budget: Int)) throws {
        for seed in 0..<4 as Range<UInt64> {
            let (mask, gradient) = Self.problem(size: `case`.size, active: `case`.active, seed: seed)
            var calls: [Int] = []
            let selection = try Self.select(mask, gradient, k: `case`.k, budget: `case`.budget, calls: &calls)
            let expected = Self.bruteForce(mask, gradient, k: `case`.k)
            #expect(selection.entries.map(\.index) == expected)
            #expect(selection.entries.map(\.gradient) == expected.map { gradient[Int($0)] })
            #expect(selection.bytesUsed <= `case`.budget)
            #expect(calls.allSatisfy { $0 <= selection.tileCapacity })
            let pruned = `case`.size - `case`.active
            #expect(calls.reduce(0, +) == (expected.isEmpty ? 0 : pruned))
        }
    }

    /// The smallest budget holds the heap and a one-position tile: one gradient call per position.
    @Test func tinyBudgetUsesOnePositionTiles() throws {
        let (mask, gradient) = Self.problem(size: 200, active: 50, seed: 9)
        var calls: [Int] = []
        let selection = try Self.select(mask, gradient, k: 7, budget: 8 * 8, calls: &calls)
        #expect(selection.tileCapacity == 1)
        #expect(calls.count == 150)
        #expect(selection.bytesUsed == 64)
        #expect(selection.entries.map(\.index) == Self.bruteForce(mask, gradient, k: 7))
        #expect(throws: PruningError.self) { try Self.select(mask, gradient, k: 7, budget: 63, calls: &calls) }
    }

    @Test func kAtLeastThePrunedCountReturnsThemAll() throws {
        let (mask, gradient) = Self.problem(size: 40, active: 30, seed: 3)
        var calls: [Int] = []
        let selection = try Self.select(mask, gradient, k: 1000, budget: 200, calls: &calls)
        #expect(selection.entries.count == 10)
        #expect(Set(selection.entries.map(\.index)) == Set(mask.inactiveIndices))
        #expect(selection.bytesUsed == (10 + 10) * 8)
    }

    @Test func zeroKAsksForNothing() throws {
        let (mask, gradient) = Self.problem(size: 40, active: 3, seed: 1)
        var calls: [Int] = []
        let selection = try Self.select(mask, gradient, k: 0, budget: 0, calls: &calls)
        #expect(selection.entries.isEmpty)
        #expect(calls.isEmpty)
        #expect(selection.bytesUsed == 0)
    }

    @Test func budgetSizing() {
        #expect(TopKSelection.tileCapacity(budgetBytes: 1024, k: 100) == 28)
        #expect(TopKSelection.tileCapacity(budgetBytes: 800, k: 100) == nil)
        #expect(TopKSelection.largestK(budgetBytes: 1024, tileCapacity: 28) == 100)
        #expect(TopKSelection.largestK(budgetBytes: 8, tileCapacity: 1) == 0)
    }
}
