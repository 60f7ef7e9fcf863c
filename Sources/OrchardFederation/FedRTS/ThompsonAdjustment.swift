import OrchardTensor

/// FedRTS's adjustment of one pruned layer: observations into the Beta posteriors, then a
/// Thompson-sampled choice of the positions to drop and to grow.
enum ThompsonAdjustment {
    /// Adds one adjustment round's evidence to `posteriors`.
    ///
    /// Kept positions: one trial each, a success when the position's averaged |w| is among the
    /// `kept.count - moved` largest of the layer (magnitude pruning would keep it; ties to the
    /// lower position), a failure otherwise. Pruned positions: one trial per client that answered
    /// the round (`clients`), a success per client whose top-K gradients name the position
    /// (`reports`); a position no client names is not observed.
    static func observe(
        _ posteriors: inout BetaPosteriors, kept: [Int32], magnitudes: [Float], moved: Int, reports: [Int32: Int],
        clients: Int
    ) {
        let ranked = kept.indices.sorted {
            magnitudes[$0] != magnitudes[$1] ? magnitudes[$0] > magnitudes[$1] : kept[$0] < kept[$1]
        }
        let survivors = max(0, kept.count - moved)
        for (rank, slot) in ranked.enumerated() {
            posteriors.observe(Int(kept[slot]), successes: rank < survivors ? 1 : 0, trials: 1)
        }
        guard clients > 0 else { return }
        for (position, count) in reports.sorted(by: { $0.key < $1.key }) {
            posteriors.observe(Int(position), successes: Double(min(count, clients)), trials: Double(clients))
        }
    }

    /// The layer's new kept positions (ascending), with those dropped and grown.
    ///
    /// Each kept position's belief is sampled and the `moved` lowest samples are dropped; each
    /// pruned position that has ever counted a success (a candidate) is sampled and the highest
    /// are grown, as many as are dropped. With fewer candidates than `moved`, only as many move,
    /// so the layer keeps its count. Equal samples go to the lower position.
    static func select(_ posteriors: BetaPosteriors, kept: [Int32], moved: Int, random: inout RandomStream)
        -> (kept: [Int32], dropped: [Int32], grown: [Int32])
    {
        let keptSet = Set(kept)
        let candidates = (0..<posteriors.alpha.count).filter {
            !keptSet.contains(Int32($0)) && posteriors.hasSucceeded($0)
        }
        let count = min(moved, candidates.count, kept.count)
        guard count > 0 else { return (kept, [], []) }
        let keptDraws = kept.map { (position: $0, draw: posteriors.sample(Int($0), random: &random)) }
        let dropped = keptDraws.sorted { $0.draw != $1.draw ? $0.draw < $1.draw : $0.position < $1.position }
            .prefix(count).map(\.position)
        let candidateDraws = candidates.map { (position: Int32($0), draw: posteriors.sample($0, random: &random)) }
        let grown = candidateDraws.sorted { $0.draw != $1.draw ? $0.draw > $1.draw : $0.position < $1.position }
            .prefix(count).map(\.position)
        let droppedSet = Set(dropped)
        let next = (kept.filter { !droppedSet.contains($0) } + grown).sorted()
        return (next, dropped.sorted(), grown.sorted())
    }
}
