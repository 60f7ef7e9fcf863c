import OrchardNN
import Testing

@testable import OrchardPruning

@Suite("Density allocation")
struct DensityAllocationTests {
    /// FedPruning's narrow ResNet18 (our resnet14), ERK at target 0.1 over all parameters.
    @Test func erkTestVector() throws {
        let network = try ModelZoo.make("resnet14", sampleShape: [3, 32, 32], classes: 10)
        let layers = PrunableLayers(network)
        #expect(layers.totalCount == 175_258)
        #expect(layers.denseCount == 1_130)
        let plan = PruningPlan(density: 0.1)
        let sparse = try layers.sparseDensity(density: 0.1, budget: .overAllParameters)
        #expect(abs(sparse - 0.09416) < 1e-6)
        let densities = try plan.layerDensities(layers)
        let byName = Dictionary(uniqueKeysWithValues: zip(layers.names, densities))
        func expectDensity(_ name: String, _ expected: Double) {
            guard let density = byName[name] else {
                Issue.record("no prunable tensor \(name)")
                return
            }
            #expect(abs(density - expected) < 5e-4, "\(name): \(density), expected \(expected)")
        }
        expectDensity("conv1.weight", 0.845)
        for block in 0..<2 {
            for conv in 1...2 { expectDensity("layer1.\(block).conv\(conv).weight", 0.241) }
        }
        expectDensity("layer2.0.conv1.weight", 0.171)
        for name in ["layer2.0.conv2", "layer2.1.conv1", "layer2.1.conv2"] { expectDensity(name + ".weight", 0.111) }
        expectDensity("layer2.0.downsample.0.weight", 1.0)
        expectDensity("layer3.0.conv1.weight", 0.081)
        for name in ["layer3.0.conv2", "layer3.1.conv1", "layer3.1.conv2"] { expectDensity(name + ".weight", 0.053) }
        expectDensity("layer3.0.downsample.0.weight", 0.699)
        expectDensity("fc.weight", 1.0)
        #expect(layers.names.count == 16)
        let kept = try plan.keptCounts(layers)
        #expect(kept.reduce(0, +) == 16_383)
        let mask = try Criterion.magnitude.mask(for: network, plan: plan)
        #expect(mask.count == 16_383)
        #expect(mask.names == layers.names)
        #expect(mask.count + layers.denseCount == 16_383 + 1_130)
    }

    @Test func uniformGivesEveryLayerTheSparseDensity() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 12, 12], classes: 3)
        let layers = PrunableLayers(network)
        let plan = PruningPlan(density: 0.5, budget: .overPrunableParameters, allocation: .layerwise(.uniform))
        let densities = try plan.layerDensities(layers)
        #expect(densities == Array(repeating: 0.5, count: layers.entries.count))
        #expect(try plan.keptCounts(layers) == layers.entries.map { $0.count / 2 })
    }

    /// ER scores the first two dimensions: a [4, 2, 3, 3] conv scores (4 + 2) / 8, a [10, 20] linear 30 / 200.
    @Test func erdosRenyiUsesTheFirstTwoDimensions() {
        let shapes = [[4, 2, 3, 3], [10, 20]]
        let densities = DensityAllocation.densities(.erdosRenyi, shapes: shapes, density: 0.3)
        // ε (6/8 · 72 + 30/200 · 200) = int(72 · 0.3) + int(200 · 0.3) = 21 + 60 = 81, so ε = 81 / 84.
        let epsilon = 81.0 / 84.0
        #expect(abs(densities[0] - epsilon * 0.75) < 1e-12)
        #expect(abs(densities[1] - epsilon * 0.15) < 1e-12)
        let kernel = DensityAllocation.densities(.erdosRenyiKernel, shapes: shapes, density: 0.3)
        // ERK: raw 12/72 and 30/200; ε (12 + 30) = 81.
        #expect(abs(kernel[0] - 81.0 / 42.0 * 12.0 / 72.0) < 1e-12)
    }

    /// A layer whose ε·raw would exceed 1 becomes dense and its zeros come off the others' budget.
    @Test func erkCapsDenseLayers() {
        let shapes = [[2, 2], [100, 100]]
        let densities = DensityAllocation.densities(.erdosRenyiKernel, shapes: shapes, density: 0.5)
        #expect(densities[0] == 1)
        // Budget: int(10000 · 0.5) − int(4 · 0.5) = 4998 over raw 200/10000 · 10000 = 200.
        #expect(abs(densities[1] - 4998.0 / 200.0 * 0.02) < 1e-12)
    }

    @Test func budgetOverAllParametersFailsWhenDenseValuesTakeIt() throws {
        let network = try ModelZoo.make("resnet14", sampleShape: [3, 32, 32], classes: 10)
        let layers = PrunableLayers(network)
        #expect(try layers.keptBudget(density: 0.01, budget: .overAllParameters) == 1752 - 1130)
        #expect(throws: PruningError.self) { try layers.keptBudget(density: 0.005, budget: .overAllParameters) }
        do {
            _ = try layers.keptBudget(density: 0.005, budget: .overAllParameters)
        } catch let error as PruningError {
            #expect(error.description.contains("876"))
            #expect(error.description.contains("1130"))
        }
        #expect(try layers.keptBudget(density: 0.005, budget: .overPrunableParameters) == Int(0.005 * 174_128))
    }

    @Test func firstAndLastLayersCanBeExcluded() throws {
        let network = try ModelZoo.make("mlp", sampleShape: [4], classes: 3)
        #expect(PrunableLayers(network).names == ["fc1.weight", "fc2.weight", "fc3.weight"])
        let inner = PrunableLayers(
            network, selection: PrunableSelection(includeFirstLayer: false, includeLastLayer: false))
        #expect(inner.names == ["fc2.weight"])
        #expect(inner.denseCount == network.trainableCount - 300 * 100)
    }

    @Test func globalKeepsEachLayersMinimum() throws {
        let scores = ModelScores(
            names: ["a", "b"], shapes: [[2, 3], [2, 2]],
            values: [[9, 8, 7, 6, 5, 4], [1, 2, 3, 0.5]])
        let mask = try MaskSelection.global(scores, kept: 4, minimum: LayerMinimum(fraction: 0, count: 1))
        #expect(mask["a"]?.activeIndices == [0, 1, 2])
        #expect(mask["b"]?.activeIndices == [2])
        // Half of each layer is reserved (3 + 2); the sixth weight is the best of the rest, a[3] = 6.
        let half = try MaskSelection.global(scores, kept: 6, minimum: LayerMinimum(fraction: 0.5, count: 1))
        #expect(half["a"]?.activeIndices == [0, 1, 2, 3])
        #expect(half["b"]?.activeIndices == [1, 2])
        #expect(throws: PruningError.self) {
            try MaskSelection.global(scores, kept: 4, minimum: LayerMinimum(fraction: 0.9, count: 1))
        }
    }

    @Test func globalBreaksTiesByLayerThenIndex() throws {
        let scores = ModelScores(names: ["a", "b"], shapes: [[3], [3]], values: [[1, 2, 1], [2, 1, 5]])
        let none = LayerMinimum(fraction: 0, count: 0)
        // Threshold 2: b[2] = 5 is above it, and of the tied a[1] and b[0] the earlier layer wins.
        let two = try MaskSelection.global(scores, kept: 2, minimum: none)
        #expect(two["a"]?.activeIndices == [1])
        #expect(two["b"]?.activeIndices == [2])
        // Threshold 1: a[0], a[2] and b[1] tie, and the lowest index of the earliest layer wins.
        let four = try MaskSelection.global(scores, kept: 4, minimum: none)
        #expect(four["a"]?.activeIndices == [0, 1])
        #expect(four["b"]?.activeIndices == [0, 2])
    }
}
