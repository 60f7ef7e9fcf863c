/// The charts of the HTML reports, each a pure function from chart data to SVG text.
extension HTMLReport {
    /// What an accuracy curve is drawn against.
    public enum Progress: Sendable, CaseIterable {
        case round, bytesUp, bytesDown, bytesTotal, flops

        var axis: (label: String, units: SVGChart.Units) {
            switch self {
            case .round: ("round", .number)
            case .bytesUp: ("cumulative bytes up (clients to server)", .bytes)
            case .bytesDown: ("cumulative bytes down (server to clients)", .bytes)
            case .bytesTotal: ("cumulative bytes, up and down", .bytes)
            case .flops: ("cumulative client training FLOPs", .flops)
            }
        }

        var title: String {
            switch self {
            case .round: "Test accuracy by round"
            case .bytesUp: "Accuracy for the bytes sent up"
            case .bytesDown: "Accuracy for the bytes sent down"
            case .bytesTotal: "Accuracy for the bytes, both directions"
            case .flops: "Accuracy for the clients' training FLOPs"
            }
        }

        /// The x value of `round` on this axis.
        func value(_ round: RunChartData.Round) -> Double {
            switch self {
            case .round: Double(round.round)
            case .bytesUp: Double(round.cumulativeBytesUp)
            case .bytesDown: Double(round.cumulativeBytesDown)
            case .bytesTotal: Double(round.cumulativeBytesUp + round.cumulativeBytesDown)
            case .flops: Double(round.cumulativeFLOPs)
            }
        }
    }

    /// Test accuracy of each run against `progress`, one line per run, over the rounds that evaluated.
    public static func accuracy(_ runs: [RunChartData], by progress: Progress) -> String {
        let series = runs.map { run in
            LineSeries(
                name: run.label,
                points: run.rounds.compactMap { round in
                    round.accuracy.map { LineSeries.Point(x: progress.value(round), y: $0) }
                })
        }
        return SVGChart(
            title: progress.title, xLabel: progress.axis.label, yLabel: "test accuracy", xUnits: progress.axis.units,
            yUnits: .percent
        ).lines(series, yDomain: 0...1)
    }

    /// How each round's client tasks ended, stacked by status; any status the run file holds.
    ///
    /// With `named`, the title starts with the run's label.
    public static func outcomes(_ run: RunChartData, named: Bool = false) -> String {
        let known = ["ok", "dropped", "timeout", "refused", "rejected", "error"]
        let present = Set(run.outcomes.flatMap(\.counts.keys))
        let statuses = known.filter(present.contains) + present.subtracting(known).sorted()
        let series = statuses.map { status in
            BarSeries(name: status, values: run.outcomes.map { $0.counts[status].map(Double.init) })
        }
        let title = named ? "\(run.label): client tasks by outcome" : "Client tasks by outcome, per round"
        return SVGChart(title: title, xLabel: "round", yLabel: "client tasks")
            .stackedBars(categories: run.outcomes.map { String($0.round) }, series: series)
    }

    /// Bytes each client sent and received over the run.
    public static func clientBytes(_ run: RunChartData) -> String {
        SVGChart(title: "Bytes per client over the run", xLabel: "client", yLabel: "bytes", yUnits: .bytes)
            .groupedBars(
                categories: run.clients.map { String($0.clientID) },
                series: [
                    BarSeries(name: "up", values: run.clients.map { Double($0.bytesUp) }),
                    BarSeries(name: "down", values: run.clients.map { Double($0.bytesDown) }),
                ])
    }

    /// Each client's memory budget beside the largest peak predicted and measured in its tasks.
    public static func clientMemory(_ run: RunChartData) -> String {
        SVGChart(title: "Memory per client: budget and task peaks", xLabel: "client", yLabel: "bytes", yUnits: .bytes)
            .groupedBars(
                categories: run.clients.map { String($0.clientID) },
                series: [
                    BarSeries(name: "budget", values: run.clients.map { $0.memoryBudgetBytes.map(Double.init) }),
                    BarSeries(
                        name: "predicted peak", values: run.clients.map { $0.maxPredictedPeakBytes.map(Double.init) }),
                    BarSeries(
                        name: "measured peak", values: run.clients.map { $0.maxMeasuredPeakBytes.map(Double.init) }),
                ])
    }

    /// Each layer's density over the rounds, for a run whose method moves its masks.
    ///
    /// With `named`, the title starts with the run's label.
    public static func layerDensity(_ run: RunChartData, named: Bool = false) -> String {
        let series = run.layers.map { layer in
            LineSeries(
                name: layer.name, points: layer.densities.map { LineSeries.Point(x: Double($0.round), y: $0.density) })
        }
        let title = named ? "\(run.label): density per layer" : "Density per layer over the rounds"
        return SVGChart(title: title, xLabel: "round", yLabel: "kept weights", yUnits: .percent).lines(series)
    }

    /// One cell's accuracy against `progress` across its runs: the mean line with a band of ± one
    /// sample sd, at the rounds every run evaluated (x is the runs' mean at that round).
    public static func bands(_ cells: [(name: String, runs: [RunChartData])], by progress: Progress) -> String {
        let series = cells.map { cell in
            var points: [LineSeries.Point] = []
            var band: [LineSeries.Band] = []
            let evaluated = cell.runs.map { run in
                Dictionary(run.rounds.filter { $0.accuracy != nil }.map { ($0.round, $0) }) { first, _ in first }
            }
            var common = Set(evaluated.first.map { Array($0.keys) } ?? [])
            for rounds in evaluated.dropFirst() { common.formIntersection(rounds.keys) }
            for round in common.sorted() {
                let rows = evaluated.compactMap { $0[round] }
                guard let accuracy = SweepSummary.Statistic(rows.compactMap(\.accuracy)),
                    let x = SweepSummary.Statistic(rows.map(progress.value))
                else { continue }
                points.append(LineSeries.Point(x: x.mean, y: accuracy.mean))
                let spread = accuracy.sd ?? 0
                band.append(LineSeries.Band(x: x.mean, low: accuracy.mean - spread, high: accuracy.mean + spread))
            }
            return LineSeries(name: "\(cell.name) (n=\(cell.runs.count))", points: points, band: band)
        }
        return SVGChart(
            title: progress.title + ", mean ± sd over seeds", xLabel: progress.axis.label, yLabel: "test accuracy",
            xUnits: progress.axis.units, yUnits: .percent
        ).lines(series, yDomain: 0...1)
    }
}
