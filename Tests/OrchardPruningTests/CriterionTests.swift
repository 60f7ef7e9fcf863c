import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardPruning

/// Every value of a network's state, for checking that scoring leaves it untouched.
func stateBits(_ network: Network) -> [[UInt32]] {
    network.parameters.map { $0.parameter.value.values.map(\.bitPattern) }
}

/// A few random labelled samples of the network's input shape.
func tinyBatch(_ network: Network, samples: Int, seed: UInt64) -> ScoringBatches {
    var random = RandomStream(seed: seed)
    let features = network.sampleShape.reduce(1, *)
    let input = Tensor(
        shape: [samples] + network.sampleShape, values: (0..<samples * features).map { _ in Float(random.nextNormal()) }
    )
    return ScoringBatches(
        input: input, labels: (0..<samples).map { _ in Int32(random.nextInt(below: network.classes)) })
}

@Suite("Criteria")
struct CriterionTests {
    @Test func magnitudeKeepsTheLargestWeightsOfEachLayer() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [5], classes: 3)
        let plan = PruningPlan(density: 0.1, budget: .overPrunableParameters, allocation: .layerwise(.uniform))
        let mask = try Criterion.magnitude.mask(for: network, plan: plan)
        for (name, layerMask) in mask.entries {
            let values = network.parameter(named: name)!.value.values.map(abs)
            #expect(layerMask.count == Int(Double(values.count) * 0.1))
            let smallestKept = layerMask.activeIndices.map { values[Int($0)] }.min()!
            let largestDropped = layerMask.inactiveIndices.map { values[Int($0)] }.max()!
            #expect(smallestKept >= largestDropped)
        }
    }

    @Test func globalMagnitudeUsesOneThreshold() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [5], classes: 3)
        let minimum = LayerMinimum(fraction: 0, count: 1)
        let plan = PruningPlan(density: 0.05, budget: .overPrunableParameters, allocation: .global(minimum: minimum))
        let mask = try Criterion.magnitude.mask(for: network, plan: plan)
        let layers = PrunableLayers(network)
        #expect(mask.count == Int(0.05 * Double(layers.prunableCount)))
        var kept: [Float] = []
        var dropped: [Float] = []
        for (name, layerMask) in mask.entries {
            let values = network.parameter(named: name)!.value.values.map(abs)
            #expect(layerMask.count >= 1)
            kept += layerMask.activeIndices.map { values[Int($0)] }
            dropped += layerMask.inactiveIndices.map { values[Int($0)] }
        }
        // Apart from the layer minimums, every kept weight is at least as large as every dropped one.
        let sortedKept = kept.sorted()
        #expect(sortedKept[mask.names.count] >= dropped.max()!)
        // Without a minimum the 300x5 first layer (larger initial weights) takes a share unlike uniform's.
        #expect(mask.masks[0].density != mask.masks[1].density)
    }

    @Test func randomIsReproducibleAndSeedDependent() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 12, 12], classes: 3)
        let plan = PruningPlan(density: 0.3, budget: .overPrunableParameters)
        let first = try Criterion.random(RandomStream(seed: 4, purpose: "mask")).mask(for: network, plan: plan)
        let again = try Criterion.random(RandomStream(seed: 4, purpose: "mask")).mask(for: network, plan: plan)
        let other = try Criterion.random(RandomStream(seed: 5, purpose: "mask")).mask(for: network, plan: plan)
        #expect(first == again)
        #expect(first != other)
        #expect(first.masks.map(\.count) == other.masks.map(\.count))
        #expect(first.masks.map(\.count) == (try plan.keptCounts(PrunableLayers(network))))
    }

    /// Every criterion with every allocation on tiny models: the right counts, no side effect, reproducible.
    @Test(arguments: ["logreg", "mlp", "lenet5", "resnet8"])
    func everyCriterionWithEveryAllocation(model: String) throws {
        let shape = model == "resnet8" ? [3, 8, 8] : (model == "lenet5" ? [1, 12, 12] : [6])
        let network = try ModelZoo.make(model, sampleShape: shape, classes: 3, width: 0.25, seed: 1)
        let batches = tinyBatch(network, samples: 4, seed: 8)
        let criteria: [Criterion] = [
            .magnitude, .random(RandomStream(seed: 1)), .snip(batches), .synFlow(iterations: 3),
            .grasp(batches, GraSPOptions()),
        ]
        let allocations: [MaskAllocation] = [
            .layerwise(.uniform), .layerwise(.erdosRenyiKernel),
            .global(minimum: LayerMinimum(fraction: 0.01, count: 1)),
        ]
        let layers = PrunableLayers(network)
        let state = stateBits(network)
        for criterion in criteria {
            for allocation in allocations {
                let plan = PruningPlan(density: 0.5, budget: .overPrunableParameters, allocation: allocation)
                let mask = try criterion.mask(for: network, plan: plan)
                #expect(stateBits(network) == state, "\(criterion) changed the network")
                #expect(mask.names == layers.names)
                if case .layerwise = allocation {
                    #expect(mask.masks.map(\.count) == (try plan.keptCounts(layers)))
                } else {
                    #expect(mask.count == Int(0.5 * Double(layers.prunableCount)))
                    #expect(mask.masks.allSatisfy { $0.count >= 1 })
                }
                #expect(try criterion.mask(for: network, plan: plan) == mask, "\(criterion) is not reproducible")
            }
        }
    }
}
