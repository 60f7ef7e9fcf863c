import OrchardTensor

/// Splits the samples of a data set among federated clients.
///
/// Every partitioner returns one array of sample indices per client, each sorted ascending; the
/// arrays are disjoint and together cover every sample exactly once. All randomness comes from a
/// `RandomStream` derived from `seed` and the partitioner's name, so a seed gives the same split
/// on every machine.
public enum Partition {
    /// Independent, identically distributed shares: a shuffle cut into pieces whose sizes differ
    /// by at most one.
    /// - Throws: `PartitionError` when `clients` is not positive or exceeds `count`.
    public static func iid(count: Int, clients: Int, seed: UInt64) throws(PartitionError) -> [[Int]] {
        try checkClients(clients, samples: count)
        var random = RandomStream(seed: seed, purpose: "partition.iid")
        let order = random.permutation(count)
        return (0..<clients).map { client in
            order[(client * count / clients)..<((client + 1) * count / clients)].sorted()
        }
    }

    /// The pathological non-IID split of McMahan and others (2017).
    ///
    /// Samples sorted by label are cut into `clients * classesPerClient` shards and each client is
    /// dealt `classesPerClient` of them at random.
    ///
    /// Shards are cut within each class rather than across the sorted sequence, so that no shard
    /// straddles two labels and a client holds at most `classesPerClient` labels. Each class gets
    /// shards in proportion to its size (at least one), and the samples of a class are shuffled
    /// before cutting, so a shard is a random subset of its class.
    /// - Throws: `PartitionError` when `clients` or `classesPerClient` is not positive, when there
    ///   are more shards than samples, or fewer shards than classes present.
    public static func shards(
        labels: [Int32], clients: Int, classesPerClient: Int, seed: UInt64
    ) throws(PartitionError) -> [[Int]] {
        try checkClients(clients, samples: labels.count)
        guard classesPerClient > 0 else {
            throw PartitionError("classesPerClient must be positive, not \(classesPerClient)")
        }
        let shardCount = clients * classesPerClient
        guard shardCount <= labels.count else {
            throw PartitionError(
                "\(clients) clients x \(classesPerClient) classes per client = \(shardCount) shards, "
                    + "more than the \(labels.count) samples; lower classesPerClient or clients")
        }
        var random = RandomStream(seed: seed, purpose: "partition.shards")
        var byClass = indicesByLabel(labels)
        guard byClass.count <= shardCount else {
            throw PartitionError(
                "\(byClass.count) classes need at least one shard each but there are only \(shardCount) shards "
                    + "(\(clients) clients x \(classesPerClient)); raise classesPerClient or clients")
        }
        let shardsPerClass = apportion(shardCount, among: byClass.map(\.count))
        var shards = [ArraySlice<Int>]()
        shards.reserveCapacity(shardCount)
        for (classIndex, pieces) in shardsPerClass.enumerated() {
            random.shuffle(&byClass[classIndex])
            let members = byClass[classIndex]
            for piece in 0..<pieces {
                shards.append(members[(piece * members.count / pieces)..<((piece + 1) * members.count / pieces)])
            }
        }
        let deal = random.permutation(shardCount)
        return (0..<clients).map { client in
            deal[(client * classesPerClient)..<((client + 1) * classesPerClient)]
                .flatMap { shards[$0] }
                .sorted()
        }
    }

    /// Quantity skew: client sizes are proportional to a Dirichlet(alpha) draw, and each client's
    /// samples are a uniform random subset, so label distributions stay IID.
    ///
    /// Draws are repeated until every client has at least `minimumPerClient` samples; smaller
    /// `alpha` gives more unequal sizes.
    /// - Throws: `PartitionError` when the arguments are out of range or 1,000 draws all left some
    ///   client below `minimumPerClient`.
    public static func quantitySkew(
        count: Int, clients: Int, alpha: Double, minimumPerClient: Int = 10, seed: UInt64
    ) throws(PartitionError) -> [[Int]] {
        try checkClients(clients, samples: count)
        try checkDirichlet(alpha: alpha, minimumPerClient: minimumPerClient, clients: clients, samples: count)
        var random = RandomStream(seed: seed, purpose: "partition.quantity-skew")
        var smallest = 0
        for _ in 0..<maximumAttempts {
            let proportions = random.nextDirichlet(alpha: alpha, count: clients)
            let cuts = cumulativeCuts(proportions, total: count)
            smallest = (0..<clients).map { cuts[$0 + 1] - cuts[$0] }.min() ?? 0
            guard smallest >= minimumPerClient else { continue }
            let order = random.permutation(count)
            return (0..<clients).map { order[cuts[$0]..<cuts[$0 + 1]].sorted() }
        }
        throw PartitionError(
            "quantity-skew partition of \(count) samples over \(clients) clients with alpha \(alpha): "
                + "no draw in \(maximumAttempts) attempts gave every client at least \(minimumPerClient) samples "
                + "(the smallest client of the last draw had \(smallest)); alpha is too small or minimumPerClient "
                + "too large")
    }

    /// How many times the Dirichlet partitioners redraw before giving up.
    static let maximumAttempts = 1_000

    static func checkClients(_ clients: Int, samples: Int) throws(PartitionError) {
        guard clients > 0 else { throw PartitionError("clients must be positive, not \(clients)") }
        guard clients <= samples else {
            throw PartitionError("\(clients) clients but only \(samples) samples: every client needs at least one")
        }
    }

    static func checkDirichlet(
        alpha: Double, minimumPerClient: Int, clients: Int, samples: Int
    ) throws(PartitionError) {
        guard alpha > 0, alpha.isFinite else {
            throw PartitionError("the Dirichlet concentration alpha must be positive and finite, not \(alpha)")
        }
        guard minimumPerClient >= 0 else {
            throw PartitionError("minimumPerClient must not be negative, not \(minimumPerClient)")
        }
        guard minimumPerClient * clients <= samples else {
            throw PartitionError(
                "\(clients) clients x minimumPerClient \(minimumPerClient) = \(minimumPerClient * clients) samples, "
                    + "more than the \(samples) there are; lower minimumPerClient or clients")
        }
    }

    /// The indices of each label value present, by ascending label.
    static func indicesByLabel(_ labels: [Int32]) -> [[Int]] {
        var groups = [Int32: [Int]]()
        for (index, label) in labels.enumerated() { groups[label, default: []].append(index) }
        return groups.keys.sorted().map { groups[$0]! }
    }

    /// Boundaries that split `0..<total` by the running sums of `proportions`, as NumPy's
    /// `(cumsum(p) * total).astype(int)` does; the first is 0 and the last is `total`.
    static func cumulativeCuts(_ proportions: [Double], total: Int) -> [Int] {
        var cuts = [0]
        cuts.reserveCapacity(proportions.count + 1)
        var running = 0.0
        for proportion in proportions.dropLast() {
            running += proportion
            cuts.append(min(total, max(cuts[cuts.count - 1], Int(running * Double(total)))))
        }
        cuts.append(total)
        return cuts
    }

    /// Splits `total` items into whole numbers proportional to `weights`, each at least one and at
    /// most its weight, by largest remainder (ties to the lower index).
    static func apportion(_ total: Int, among weights: [Int]) -> [Int] {
        let weightSum = weights.reduce(0, +)
        let quotas = weights.map { Double(total) * Double($0) / Double(weightSum) }
        var shares = zip(quotas, weights).map { quota, weight in min(weight, max(1, Int(quota))) }
        var assigned = shares.reduce(0, +)
        while assigned < total {
            // Give one more to the class furthest below its quota that can still take one.
            let candidates = shares.indices.filter { shares[$0] < weights[$0] }
            guard let pick = candidates.max(by: { quotas[$0] - Double(shares[$0]) < quotas[$1] - Double(shares[$1]) })
            else { break }
            shares[pick] += 1
            assigned += 1
        }
        while assigned > total {
            // Take one from the class furthest above its quota that keeps at least one.
            let candidates = shares.indices.filter { shares[$0] > 1 }
            guard let pick = candidates.max(by: { Double(shares[$0]) - quotas[$0] < Double(shares[$1]) - quotas[$1] })
            else { break }
            shares[pick] -= 1
            assigned -= 1
        }
        return shares
    }
}
