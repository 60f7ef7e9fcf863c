import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardPruning

@Suite("Prune and grow")
struct PruneAndGrowTests {
    @Test func movedCountsTruncateOrRoundUp() {
        // FedPruning truncates: a layer of 3 kept weights at f = 0.2 never moves; OG's ceiling moves one.
        #expect(PruneAndGrow.adjustmentCount(active: 3, fraction: 0.2) == 0)
        #expect(PruneAndGrow.adjustmentCount(active: 3, fraction: 0.2, rounding: .up) == 1)
        #expect(PruneAndGrow.adjustmentCount(active: 100, fraction: 0.2, rounding: .up) == 20)
        #expect(PruneAndGrow.adjustmentCount(active: 101, fraction: 0.2, rounding: .up) == 21)
        #expect(PruneAndGrow.adjustmentCount(active: 101, fraction: 0.2) == 20)
        // A fraction of zero (the cosine's end) moves nothing either way, and never more than the layer keeps.
        #expect(PruneAndGrow.adjustmentCount(active: 7, fraction: 0, rounding: .up) == 0)
        #expect(PruneAndGrow.adjustmentCount(active: 7, fraction: 1.5, rounding: .up) == 7)
        #expect(PruneAndGrow.adjustmentCount(active: 7, fraction: .nan, rounding: .up) == 0)
    }

    @Test func preservesTheActiveCountAndZeroesGrownWeights() {
        var random = RandomStream(seed: 5)
        for _ in 0..<20 {
            let size = 50
            let active = random.permutation(size).prefix(20).sorted().map { Int32($0) }
            let mask = TensorMask(shape: [5, 10], activeIndices: active)
            let weights = Tensor(shape: [5, 10], values: (0..<size).map { _ in Float(random.nextNormal()) })
            mask.apply(to: weights.buffer)
            let before = weights.values
            let scores = (0..<size).map { _ in Float(random.nextNormal()) }
            let count = PruneAndGrow.adjustmentCount(active: mask.count, fraction: 0.3)
            #expect(count == 6)
            let change = PruneAndGrow.update(mask, weights: weights, growthScores: scores, count: count)
            #expect(change.mask.count == mask.count)
            #expect(change.pruned.count == count && change.grown.count == count)
            // The pruned are the 6 smallest |w| of the active.
            let smallest = active.sorted { abs(before[Int($0)]) < abs(before[Int($1)]) }.prefix(count)
            #expect(change.pruned == smallest.sorted())
            // The grown are the 6 largest |score| among everything inactive after pruning.
            let candidates = Set(0..<Int32(size)).subtracting(active).union(change.pruned)
            let largest = candidates.sorted { abs(scores[Int($0)]) > abs(scores[Int($1)]) }.prefix(count)
            #expect(change.grown == largest.sorted())
            for index in change.grown { #expect(weights[Int(index)] == 0) }
            for index in 0..<size where !change.mask.contains(index) { #expect(weights[index] == 0) }
            for index in change.mask.activeIndices where !change.grown.contains(index) {
                #expect(weights[Int(index)] == before[Int(index)])
            }
        }
    }

    /// Equal |w| prune the lower index first; equal |score| grow the lower index first.
    @Test func tiesGoToTheLowerIndex() {
        let mask = TensorMask(shape: [6], activeIndices: [0, 1, 2, 3])
        let weights = Tensor(shape: [6], values: [1, -1, 1, 2, 0, 0])
        let scores: [Float] = [0, 0, 0, 0, -3, 3]
        let change = PruneAndGrow.update(mask, weights: weights, growthScores: scores, count: 3)
        #expect(change.pruned == [0, 1, 2])
        // The best |score| are 4 and 5 (tied, both taken); the third is the lowest-index zero, 0.
        #expect(change.grown == [0, 4, 5])
        #expect(change.mask.activeIndices == [0, 3, 4, 5])
        #expect(weights.values == [0, 0, 0, 2, 0, 0])
    }

    @Test func pruneOnlyAndGrowTo() {
        let mask = TensorMask(shape: [6], activeIndices: [1, 2, 4])
        let weights = Tensor(shape: [6], values: [0, 3, -0.5, 0, 2, 0])
        let pruned = PruneAndGrow.pruneOnly(mask, weights: weights, count: 1)
        #expect(pruned.mask.activeIndices == [1, 4])
        #expect(pruned.pruned == [2] && pruned.grown.isEmpty)
        let grown = PruneAndGrow.growTo(pruned.mask, weights: weights, growthScores: [1, 0, 9, 5, 0, -7], target: 4)
        #expect(grown.mask.activeIndices == [1, 2, 4, 5])
        #expect(grown.grown == [2, 5])
        let unchanged = PruneAndGrow.growTo(
            grown.mask, weights: weights, growthScores: [Float](repeating: 1, count: 6), target: 2)
        #expect(unchanged.mask == grown.mask)
    }

    @Test func networkStepMovesTheCosineFraction() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [4], classes: 3)
        let layers = PrunableLayers(network)
        let mask = try Criterion.magnitude.mask(
            for: network,
            plan: PruningPlan(density: 0.2, budget: .overPrunableParameters, allocation: .layerwise(.uniform)))
        mask.apply(to: network)
        var random = RandomStream(seed: 2)
        let scores = Criterion.randomScores(layers, random: &random)
        let decay = CosineDecay(alpha: 0.2, endRound: 100)
        let (next, changes) = PruneAndGrow.update(
            mask, network: network, growthScores: scores, fraction: decay.fraction(at: 0))
        #expect(next.names == mask.names)
        for (old, (new, change)) in zip(mask.masks, zip(next.masks, changes)) {
            #expect(new.count == old.count)
            #expect(change.pruned.count == Int(0.2 * Double(old.count)))
        }
    }
}
