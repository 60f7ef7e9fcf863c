extension HTMLReport {
    /// The section of a personalized run: the spread over clients of their own models' accuracy
    /// per round, as a chart (mean, with the 10th to 90th percentile as a band, and the minimum)
    /// and a table; nil for a run without client evaluations.
    static func personalSection(_ summary: RunSummary) -> String? {
        let lines = summary.personalAccuracy
        guard !lines.isEmpty else { return nil }
        let mean = LineSeries(
            name: "mean",
            points: lines.map { LineSeries.Point(x: Double($0.round), y: $0.mean) },
            band: lines.map { LineSeries.Band(x: Double($0.round), low: $0.p10, high: $0.p90) })
        let minimum = LineSeries(
            name: "min", points: lines.map { LineSeries.Point(x: Double($0.round), y: $0.minimum) })
        let chart = SVGChart(
            title: "Clients' own accuracy (mean, p10 to p90 band, min)", xLabel: "round",
            yLabel: "held-out accuracy", yUnits: .percent
        ).lines([mean, minimum], yDomain: 0...1)
        return charts("Personal accuracy (each client's model on its held-out split)", [chart])
            + "\n" + table(PersonalAccuracyRound.columnTitles, lines.map(\.cells))
    }
}
