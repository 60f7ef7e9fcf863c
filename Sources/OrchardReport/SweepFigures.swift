import Foundation

/// A sweep's figures as standalone SVG files, with a Markdown page that shows them.
///
/// The cells are grouped by every axis but two: the *series* axis (usually the method), whose
/// values become the lines of a chart, and the optional *ladder* axis (usually the density), a
/// numeric axis along which final accuracy is drawn. Each group of cells that differ only in the
/// series gets its accuracy curves (mean ± sd over seeds against rounds and against bytes); each
/// group that differs in the series and the ladder gets a ladder chart. With a *reference* value of
/// the series, each group also says whether that value is ahead of the best other one.
public struct SweepFigures: Sendable {
    /// One SVG file: its name within the figures folder and its text.
    public struct Figure: Sendable, Equatable {
        public var file: String
        public var svg: String
    }

    /// The axis whose values are the lines of every chart.
    public var seriesAxis: String
    /// A numeric axis (such as `method.density`) for ladder charts, if any.
    public var ladderAxis: String?
    /// A value of the series axis compared with the best other value in each group.
    public var reference: String?

    public init(seriesAxis: String, ladderAxis: String? = nil, reference: String? = nil) {
        self.seriesAxis = seriesAxis
        self.ladderAxis = ladderAxis
        self.reference = reference
    }

    /// The figures of `summary` and the Markdown that shows them, linking each figure as
    /// `link/FILE` (the figures folder as seen from the Markdown file).
    public func render(
        _ summary: SweepSummary, runs: [String: [RunChartData]], link: String
    ) throws -> (figures: [Figure], markdown: String) {
        let axes = summary.cells.first?.settings.map(\.axis) ?? []
        guard axes.contains(seriesAxis) else { throw ReportError.unknownAxis(seriesAxis, axes: axes) }
        if let ladderAxis, !axes.contains(ladderAxis) || ladderAxis == seriesAxis {
            throw ReportError.unknownAxis(ladderAxis, axes: axes.filter { $0 != seriesAxis })
        }
        var values: [String] = []
        for cell in summary.cells where !values.contains(value(of: seriesAxis, in: cell)) {
            values.append(value(of: seriesAxis, in: cell))
        }
        if let reference, !values.contains(reference) {
            throw ReportError.unknownValue(reference, axis: seriesAxis, values: values)
        }
        var figures: [Figure] = []
        var sections: [String] = []
        if let ladderAxis {
            for group in groups(summary.cells, excluding: [seriesAxis, ladderAxis]) {
                let figure = Figure(file: "ladder\(group.suffix).svg", svg: ladder(group, axis: ladderAxis))
                figures.append(figure)
                sections.append(
                    "### Final accuracy by \(ladderAxis)\(group.title)\n\n![\(ladderAxis) ladder](\(link)/\(figure.file))"
                )
            }
        }
        for group in groups(summary.cells, excluding: [seriesAxis]) {
            let drawn = group.cells.map { cell in
                (name: value(of: seriesAxis, in: cell), runs: runs[cell.name] ?? [])
            }.filter { !$0.runs.isEmpty }
            let curves = [
                Figure(file: "rounds\(group.suffix).svg", svg: HTMLReport.bands(drawn, by: .round)),
                Figure(file: "bytes\(group.suffix).svg", svg: HTMLReport.bands(drawn, by: .bytesTotal)),
            ]
            figures += curves
            sections.append(
                "### \(group.title.isEmpty ? "All cells" : String(group.title.dropFirst(2)))\n\n" + table(group.cells)
                    + "\n" + curves.map { "![\($0.file)](\(link)/\($0.file))" }.joined(separator: "\n"))
        }
        if let reference {
            sections.append(verdicts(summary.cells, reference: reference))
        }
        return (figures, sections.joined(separator: "\n\n") + "\n")
    }

    /// Cells that agree on every axis outside `excluded`, in grid order, with a title such as
    /// `, partition.alpha 0.5` and a file-name suffix such as `-0.5`.
    struct Group {
        var cells: [SweepSummary.Cell]
        var title: String
        var suffix: String
    }

    func groups(_ cells: [SweepSummary.Cell], excluding excluded: Set<String>) -> [Group] {
        var order: [[SweepSummary.Setting]] = []
        var members: [[String]: [SweepSummary.Cell]] = [:]
        for cell in cells {
            let settings = cell.settings.filter { !excluded.contains($0.axis) }
            let key = settings.flatMap { [$0.axis, $0.value] }
            if members[key] == nil { order.append(settings) }
            members[key, default: []].append(cell)
        }
        return order.map { settings in
            let named = settings.map { "\($0.axis) \($0.value)" }
            return Group(
                cells: members[settings.flatMap { [$0.axis, $0.value] }] ?? [],
                title: named.isEmpty ? "" : ", " + named.joined(separator: ", "),
                suffix: settings.map { "-" + Self.fileSafe($0.value) }.joined())
        }
    }

    /// Final accuracy (mean ± sd) along the ladder axis, one line per series value.
    func ladder(_ group: Group, axis: String) -> String {
        var order: [String] = []
        var lines: [String: LineSeries] = [:]
        for cell in group.cells {
            let name = value(of: seriesAxis, in: cell)
            guard let x = Self.numeric(value(of: axis, in: cell)), let accuracy = cell.finalAccuracy else { continue }
            if lines[name] == nil {
                order.append(name)
                lines[name] = LineSeries(name: name, points: [])
            }
            let spread = accuracy.sd ?? 0
            lines[name]?.points.append(LineSeries.Point(x: x, y: accuracy.mean))
            lines[name]?.band.append(
                LineSeries.Band(x: x, low: accuracy.mean - spread, high: accuracy.mean + spread))
        }
        let series = order.compactMap { name in
            lines[name].map { line in
                var line = line
                let sorted = zip(line.points, line.band).sorted { $0.0.x < $1.0.x }
                line.points = sorted.map(\.0)
                line.band = sorted.map(\.1)
                return line
            }
        }
        let percent = group.cells.contains { value(of: axis, in: $0).hasSuffix("pct") }
        return SVGChart(
            title: "Final accuracy by \(axis)\(group.title), mean ± sd over seeds", xLabel: axis,
            yLabel: "final test accuracy", xUnits: percent ? .percent : .number, yUnits: .percent
        ).lines(series, yDomain: 0...1)
    }

    /// The group's cells as a Markdown table of their main figures.
    func table(_ cells: [SweepSummary.Cell]) -> String {
        let header = [
            seriesAxis, "runs", "final acc.", "best acc.", "bytes up", "bytes down", "training FLOPs",
            "peak client memory",
        ]
        var lines = [
            "| " + header.joined(separator: " | ") + " |",
            "|---|" + Array(repeating: "---:", count: header.count - 1).joined(separator: "|") + "|",
        ]
        for cell in cells {
            let row = [
                value(of: seriesAxis, in: cell), "\(cell.runs)/\(cell.plannedRuns)",
                SweepSummary.text(cell.finalAccuracy, ReportFormat.percent),
                SweepSummary.text(cell.bestAccuracy, ReportFormat.percent),
                SweepSummary.text(cell.bytesUp) { ReportFormat.bytes(Int(exactly: $0.rounded())) },
                SweepSummary.text(cell.bytesDown) { ReportFormat.bytes(Int(exactly: $0.rounded())) },
                SweepSummary.text(cell.trainingFLOPs) { Comparison.flops(Int(exactly: $0.rounded()) ?? 0) },
                SweepSummary.text(cell.peakClientBytes) { ReportFormat.bytes(Int(exactly: $0.rounded())) },
            ]
            lines.append("| " + row.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Per group, the reference value's final accuracy against the best other value's.
    ///
    /// "Ahead" and "behind" need the difference of the means to exceed twice its standard error
    /// (√(sd₁²/n₁ + sd₂²/n₂)); anything closer is "within the spread", and a cell with one run has
    /// no spread to judge by.
    func verdicts(_ cells: [SweepSummary.Cell], reference: String) -> String {
        var lines = [
            "### \(reference) against the best other \(seriesAxis)", "",
            "Ahead or behind when the means differ by more than twice the standard error of their "
                + "difference, √(sd₁²/n₁ + sd₂²/n₂); otherwise within the spread.", "",
            "| setting | \(reference) | best other | its final acc. | difference | verdict |",
            "|---|---:|---|---:|---:|---|",
        ]
        for group in groups(cells, excluding: [seriesAxis]) {
            guard let mine = group.cells.first(where: { value(of: seriesAxis, in: $0) == reference }),
                let mineAccuracy = mine.finalAccuracy,
                let best = group.cells.filter({ value(of: seriesAxis, in: $0) != reference })
                    .max(by: { ($0.finalAccuracy?.mean ?? -1) < ($1.finalAccuracy?.mean ?? -1) }),
                let bestAccuracy = best.finalAccuracy
            else { continue }
            let difference = mineAccuracy.mean - bestAccuracy.mean
            let verdict = Self.verdict(difference: difference, mineAccuracy, bestAccuracy)
            let setting = group.title.isEmpty ? "all" : String(group.title.dropFirst(2))
            lines.append(
                "| \(setting) | \(SweepSummary.text(mineAccuracy, ReportFormat.percent)) | "
                    + "\(value(of: seriesAxis, in: best)) | \(SweepSummary.text(bestAccuracy, ReportFormat.percent)) | "
                    + "\(ReportFormat.decimal(100 * difference, 2)) pt | \(verdict) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func verdict(difference: Double, _ a: SweepSummary.Statistic, _ b: SweepSummary.Statistic) -> String {
        guard let sdA = a.sd, let sdB = b.sd else { return "one run: no spread" }
        let error = (sdA * sdA / Double(a.count) + sdB * sdB / Double(b.count)).squareRoot()
        if difference > 2 * error { return "ahead" }
        if difference < -2 * error { return "behind" }
        return "within the spread"
    }

    /// The label of `cell`'s value on `axis`.
    func value(of axis: String, in cell: SweepSummary.Cell) -> String {
        cell.settings.first { $0.axis == axis }?.value ?? ""
    }

    /// A label as a number: `5pct` is 0.05, `0.5` is 0.5; nil for words.
    static func numeric(_ label: String) -> Double? {
        if label.hasSuffix("pct") { return Double(label.dropLast(3)).map { $0 / 100 } }
        return Double(label)
    }

    /// `text` with every character outside letters, digits, `.`, `_` and `-` replaced by `_`.
    static func fileSafe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }
}
