/// What to prune to: a target density, what it is a fraction of, and how it is shared among layers.
public struct PruningPlan: Sendable, Equatable {
    /// The fraction of weights to keep, in (0, 1].
    public var density: Double
    /// What `density` is a fraction of; FedPruning counts every trained parameter.
    public var budget: DensityBudget
    /// How the kept weights are shared among the layers; FedPruning's default is ERK.
    public var allocation: MaskAllocation
    /// Which weights are prunable.
    public var selection: PrunableSelection

    public init(
        density: Double, budget: DensityBudget = .overAllParameters,
        allocation: MaskAllocation = .layerwise(.erdosRenyiKernel), selection: PrunableSelection = PrunableSelection()
    ) {
        self.density = density
        self.budget = budget
        self.allocation = allocation
        self.selection = selection
    }

    /// The density of each prunable layer under a layer-wise allocation.
    /// - Throws: `PruningError` if the budget is impossible or the allocation is global (no fixed densities).
    public func layerDensities(_ layers: PrunableLayers) throws -> [Double] {
        guard case .layerwise(let distribution) = allocation else {
            throw PruningError("a global allocation has no layer densities before scoring")
        }
        let sparse = try layers.sparseDensity(density: density, budget: budget)
        return DensityAllocation.densities(distribution, shapes: layers.shapes, density: sparse)
    }

    /// The weights each prunable layer keeps under a layer-wise allocation, `int(N·d)`.
    public func keptCounts(_ layers: PrunableLayers) throws -> [Int] {
        DensityAllocation.keptCounts(shapes: layers.shapes, densities: try layerDensities(layers))
    }
}
