import OrchardStore

extension MetricSeries {
    /// The per-round means that are numbers, in round order.
    var means: [(round: Int, mean: Double)] { rounds.compactMap { round in round.mean.map { (round.round, $0) } } }

    /// The mean of the per-round means, so that every round weighs the same whatever its clients.
    var meanOverRounds: Double? {
        let means = means
        return means.isEmpty ? nil : means.reduce(0) { $0 + $1.mean } / Double(means.count)
    }
}

extension RunSummary {
    /// One line per client figure: the rounds that reported it, its first and last round's means
    /// and the mean over those rounds.
    func metricTable() -> TextTable {
        var table = TextTable([
            .text("metric"), .number("rounds"), .number("first round"), .number("first"), .number("last round"),
            .number("last"), .number("mean"),
        ])
        for series in clientMetrics {
            let means = series.means
            table.append([
                series.name, "\(series.rounds.count)", means.first.map { "\($0.round)" } ?? ReportFormat.missing,
                ReportFormat.figure(means.first?.mean), means.last.map { "\($0.round)" } ?? ReportFormat.missing,
                ReportFormat.figure(means.last?.mean), ReportFormat.figure(series.meanOverRounds),
            ])
        }
        return table
    }
}
