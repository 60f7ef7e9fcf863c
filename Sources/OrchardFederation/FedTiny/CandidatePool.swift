import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedTiny's pool of coarse-pruned candidates: masks that differ only in their layer-wise densities,
/// all cut by magnitude from the same (pretrained) weights.
///
/// Each candidate draws noisy densities around the target, one per masked layer, and draws again
/// until the density it realises over the masked layers is within `tolerance` (relative) of the
/// target, so that the candidates compete on where the weights go, not on how many there are.
public struct CandidatePool: Sendable, Equatable {
    /// The relative distance from the target a candidate's realised density may have (OG: 2%).
    public static let tolerance = 0.02
    /// Draws a candidate may take before the pool gives up: the target is out of reach of the noise.
    public static let attempts = 100_000

    /// The candidates' masks, over the same masked weights.
    public let masks: [ModelMask]
    /// The density each candidate drew for each masked layer, before rounding.
    public let layerDensities: [[Double]]
    /// The target density of the masked weights (the "real" density left by the dense ones).
    public let target: Double

    /// Draws the pool for `network`'s current weights.
    ///
    /// Candidate c draws from `RandomStream(seed: seed, purpose: "fedtiny-pool", c)`, so the pool
    /// depends on the seed and the weights alone.
    /// - Throws: `PruningError` for a density the budget cannot reach, `FederationError` if no
    ///   draw lands within the tolerance.
    public init(for network: Network, configuration: FedTinyConfiguration, seed: UInt64) throws {
        let layers = PrunableLayers(network, selection: configuration.selection)
        guard !layers.entries.isEmpty else { throw FederationError("fedtiny: \(network.name) has no weight to prune") }
        let target = try layers.sparseDensity(density: configuration.density, budget: configuration.budget)
        let sizes = layers.entries.map(\.count)
        let base: [Double]
        switch configuration.densityNoise {
        case .uniform: base = sizes.map { _ in target }
        case .er: base = DensityAllocation.densities(.erdosRenyi, shapes: layers.shapes, density: target)
        case .erk: base = DensityAllocation.densities(.erdosRenyiKernel, shapes: layers.shapes, density: target)
        }
        let scores = Criterion.magnitudeScores(layers)
        var masks: [ModelMask] = []
        var densities: [[Double]] = []
        for candidate in 0..<configuration.candidates {
            var random = RandomStream(seed: seed, purpose: "fedtiny-pool", candidate)
            let drawn = try Self.draw(
                base: base, sizes: sizes, target: target, noise: configuration.densityNoise,
                floor: configuration.densityFloor, random: &random)
            densities.append(drawn)
            masks.append(MaskSelection.layerwise(scores, keptCounts: Self.keptCounts(drawn, sizes: sizes)))
        }
        self.masks = masks
        self.layerDensities = densities
        self.target = target
    }

    /// The weights a layer of `size` keeps at density `density`: `max(floor(d·N), 1)`, as OG rounds.
    static func keptCount(_ density: Double, size: Int) -> Int {
        min(size, max(1, Int((density * Double(size)).rounded(.down))))
    }

    static func keptCounts(_ densities: [Double], sizes: [Int]) -> [Int] {
        zip(densities, sizes).map { keptCount($0, size: $1) }
    }

    /// The density the rounded counts realise over all masked weights.
    static func realisedDensity(_ densities: [Double], sizes: [Int]) -> Double {
        Double(keptCounts(densities, sizes: sizes).reduce(0, +)) / Double(sizes.reduce(0, +))
    }

    /// Noisy densities around `base`, each at least `floor`, drawn until the realised density is
    /// within the tolerance.
    static func draw(
        base: [Double], sizes: [Int], target: Double, noise: FedTinyConfiguration.DensityNoise, floor: Double,
        random: inout RandomStream
    ) throws -> [Double] {
        // Uniform noise spans [0.5, 1.5] of the target; the ER variants span [0, 2] of their base,
        // as OG draws them.
        let spread = noise == .uniform ? 1.0 : 2.0
        for _ in 0..<attempts {
            let drawn = base.map { min(1, max(floor, $0 * (1 + spread * (random.nextDouble() - 0.5)))) }
            if abs(realisedDensity(drawn, sizes: sizes) - target) <= tolerance * target { return drawn }
        }
        throw FederationError(
            "fedtiny: no candidate density within \(Int(tolerance * 100))% of \(target) after \(attempts) draws; "
                + "the masked layers are too few or too uneven for the noise (or the density_floor too high for the "
                + "target), try density_noise: uniform, a lower density_floor or candidates: 1"
        )
    }

    /// The density candidate `candidate` realises over the masked weights.
    public func realisedDensity(_ candidate: Int) -> Double { masks[candidate].density }
}
