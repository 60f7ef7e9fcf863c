import OrchardTensor

extension Partition {
    /// Label skew by Dirichlet draws: the `hetero` partition of FedML, used by FedTiny and most
    /// pruning-in-federated-learning papers.
    ///
    /// For each class in turn the class's samples are shuffled and a Dirichlet(alpha) vector of
    /// client proportions is drawn; clients already holding at least `count / clients` samples
    /// get proportion zero (which keeps sizes from running away), the rest are renormalised, and
    /// the class is cut at the running sums. If some client ends with fewer than
    /// `minimumPerClient` samples, everything is drawn again. Small `alpha` (0.1) gives clients
    /// dominated by one or two classes; large `alpha` (100) is close to IID.
    ///
    /// - Parameters:
    ///   - labels: The label of every sample.
    ///   - classes: How many classes there are; every label must lie in `0..<classes`.
    ///   - clients: How many clients to split among.
    ///   - alpha: The Dirichlet concentration, positive.
    ///   - minimumPerClient: The fewest samples any client may get.
    ///   - seed: The run seed.
    /// - Throws: `PartitionError` when the arguments are out of range, a label is outside
    ///   `0..<classes`, or 1,000 draws all left some client below `minimumPerClient`.
    public static func dirichlet(
        labels: [Int32], classes: Int, clients: Int, alpha: Double, minimumPerClient: Int = 10, seed: UInt64
    ) throws(PartitionError) -> [[Int]] {
        try checkClients(clients, samples: labels.count)
        try checkDirichlet(alpha: alpha, minimumPerClient: minimumPerClient, clients: clients, samples: labels.count)
        guard classes > 0 else { throw PartitionError("classes must be positive, not \(classes)") }
        var byClass = [[Int]](repeating: [], count: classes)
        for (index, label) in labels.enumerated() {
            guard label >= 0, Int(label) < classes else {
                throw PartitionError("label \(label) of sample \(index) is outside 0..<\(classes)")
            }
            byClass[Int(label)].append(index)
        }
        // A client stops receiving new classes once it holds this many samples.
        let fairShare = Double(labels.count) / Double(clients)
        var random = RandomStream(seed: seed, purpose: "partition.dirichlet")
        var lastSmallest: Int?
        for _ in 0..<maximumAttempts {
            var assigned = [[Int]](repeating: [], count: clients)
            var drawFailed = false
            for classIndex in 0..<classes {
                var members = byClass[classIndex]
                random.shuffle(&members)
                var proportions = random.nextDirichlet(alpha: alpha, count: clients)
                for client in 0..<clients where Double(assigned[client].count) >= fairShare {
                    proportions[client] = 0
                }
                let remaining = proportions.reduce(0, +)
                // Tiny alphas can put all the mass on full clients (gamma draws underflow to
                // zero); that draw cannot be renormalised, so it counts as a failed attempt.
                guard remaining > 0 else {
                    drawFailed = true
                    break
                }
                let cuts = cumulativeCuts(proportions.map { $0 / remaining }, total: members.count)
                for client in 0..<clients {
                    assigned[client].append(contentsOf: members[cuts[client]..<cuts[client + 1]])
                }
            }
            if drawFailed { continue }
            let smallest = assigned.map(\.count).min() ?? 0
            if smallest >= minimumPerClient {
                return assigned.map { $0.sorted() }
            }
            lastSmallest = smallest
        }
        let lastDraw = lastSmallest.map { "; the smallest client of the last complete draw had \($0)" } ?? ""
        throw PartitionError(
            "Dirichlet partition of \(labels.count) samples over \(clients) clients with alpha \(alpha): "
                + "no draw in \(maximumAttempts) attempts gave every client at least \(minimumPerClient) samples"
                + "\(lastDraw); alpha is too small or minimumPerClient too large for this many clients")
    }
}
