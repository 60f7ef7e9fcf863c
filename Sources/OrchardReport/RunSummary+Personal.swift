import OrchardStore

/// The spread over clients of their own models' accuracy in one round, for personalized methods.
///
/// Each client's model is evaluated on its own held-out split (`client_evaluations`); the figures
/// weigh every client alike, whatever its number of held-out samples. The standard deviation is
/// the population's (over the clients that reported), and the 10th and 90th percentiles
/// interpolate linearly between the sorted accuracies (the `(n - 1) · p` rank).
public struct PersonalAccuracyRound: Sendable, Equatable {
    /// The round.
    public var round: Int
    /// The clients that reported an evaluation.
    public var clients: Int
    /// Their mean accuracy.
    public var mean: Double
    /// The accuracies' population standard deviation.
    public var standardDeviation: Double
    /// The lowest accuracy.
    public var minimum: Double
    /// The 10th percentile.
    public var p10: Double
    /// The median.
    public var median: Double
    /// The 90th percentile.
    public var p90: Double
    /// The highest accuracy.
    public var maximum: Double

    /// The figures of `accuracies`, which must not be empty.
    public init(round: Int, accuracies: [Double]) {
        precondition(!accuracies.isEmpty, "a round's personal accuracy needs at least one client")
        let sorted = accuracies.sorted()
        let count = Double(sorted.count)
        let mean = sorted.reduce(0, +) / count
        self.round = round
        clients = sorted.count
        self.mean = mean
        standardDeviation = (sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count).squareRoot()
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
        p10 = Self.percentile(sorted, 0.1)
        median = Self.percentile(sorted, 0.5)
        p90 = Self.percentile(sorted, 0.9)
    }

    /// The titles of the columns of `cells`.
    static let columnTitles = ["round", "clients", "mean", "sd", "min", "p10", "median", "p90", "max"]

    /// The round's figures as table cells, accuracies to four decimals.
    var cells: [String] {
        ["\(round)", "\(clients)"]
            + [mean, standardDeviation, minimum, p10, median, p90, maximum].map { ReportFormat.decimal($0, 4) }
    }

    /// The `p` quantile of ascending `sorted` values, interpolated at rank `(n - 1) · p`.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Double(sorted.count - 1) * p
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        let weight = rank - Double(low)
        return sorted[low] + (sorted[high] - sorted[low]) * weight
    }

    /// One summary per round that has evaluations, in round order.
    public static func rounds(_ records: [PersonalEvaluationRecord]) -> [PersonalAccuracyRound] {
        let byRound = Dictionary(grouping: records, by: \.round)
        return byRound.keys.sorted().map { round in
            PersonalAccuracyRound(round: round, accuracies: byRound[round, default: []].map(\.accuracy))
        }
    }
}

extension RunSummary {
    /// The table of the personal accuracies: one row per round that has them.
    func personalTable() -> TextTable {
        var table = TextTable(PersonalAccuracyRound.columnTitles.map { TextTable.Column.number($0) })
        for line in personalAccuracy { table.append(line.cells) }
        return table
    }
}
