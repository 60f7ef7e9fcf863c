import Foundation

/// Self-contained HTML pages of a run, of runs side by side, and of a sweep: tables of the figures
/// and inline SVG charts, with no script, style sheet, font or image fetched from anywhere.
public enum HTMLReport {
    /// The page of one run: its figures, accuracy curves, client outcomes, per-client bytes and
    /// memory, and per-layer density when its method moves masks.
    public static func run(_ data: RunChartData, summary: RunSummary) -> String {
        var sections = [
            table(
                ["figure", "value"],
                [
                    ["method", summary.run.info.method], ["model", summary.run.info.model],
                    ["data", summary.run.info.dataset], ["seed", String(summary.run.info.seed)],
                    ["status", summary.run.status.rawValue],
                    ["rounds", "\(summary.rounds) of \(summary.run.info.plannedRounds)"],
                    ["final accuracy", ReportFormat.percent(summary.finalAccuracy)],
                    ["best accuracy", ReportFormat.percent(summary.bestAccuracy)],
                    ["bytes up", ReportFormat.bytes(summary.bytesUp)],
                    ["bytes down", ReportFormat.bytes(summary.bytesDown)],
                    ["simulated time", ReportFormat.seconds(summary.simSeconds)],
                ]),
            charts("Accuracy", Progress.allCases.map { accuracy([data], by: $0) }),
            charts("Clients", [outcomes(data), clientBytes(data), clientMemory(data)]),
        ]
        if data.hasLayerHistory { sections.append(charts("Masks", [layerDensity(data)])) }
        if let personal = personalSection(summary) { sections.append(personal) }
        return page(title: "Orchard run \(summary.run.info.name) (\(summary.file))", sections: sections)
    }

    /// The page of several runs: the comparison table, accuracy curves of every run on each axis,
    /// then each run's client outcomes.
    public static func comparison(_ runs: [RunChartData], table rows: Comparison) -> String {
        let header = [
            "run", "final acc.", "best acc.", "bytes up", "bytes down", "training FLOPs", "peak client memory",
        ]
        let cells = rows.rows.map { row in
            [
                row.label, ReportFormat.percent(row.finalAccuracy), ReportFormat.percent(row.bestAccuracy),
                ReportFormat.bytes(row.bytesUp), ReportFormat.bytes(row.bytesDown), Comparison.flops(row.trainingFLOPs),
                ReportFormat.bytes(row.peakClientBytes),
            ]
        }
        var sections = [table(header, cells), charts("Accuracy", Progress.allCases.map { accuracy(runs, by: $0) })]
        sections.append(charts("Client tasks", runs.map { outcomes($0, named: true) }))
        let moving = runs.filter(\.hasLayerHistory)
        if !moving.isEmpty { sections.append(charts("Masks", moving.map { layerDensity($0, named: true) })) }
        return page(title: "Orchard comparison of \(runs.count) runs", sections: sections)
    }

    /// The page of a sweep: its summary table and, per cell, accuracy bands over the seeds.
    public static func sweep(_ summary: SweepSummary, cells: [(name: String, runs: [RunChartData])]) -> String {
        let axes = summary.cells.first?.settings.map(\.axis) ?? []
        let header =
            ["cell"] + axes + ["runs", "final acc.", "best acc.", "bytes up", "training FLOPs", "peak client memory"]
        let rows = summary.cells.map { cell in
            [cell.name] + cell.settings.map(\.value) + [
                "\(cell.runs)/\(cell.plannedRuns)", SweepSummary.text(cell.finalAccuracy, ReportFormat.percent),
                SweepSummary.text(cell.bestAccuracy, ReportFormat.percent),
                SweepSummary.text(cell.bytesUp) { ReportFormat.bytes(Int($0.rounded())) },
                SweepSummary.text(cell.trainingFLOPs) { Comparison.flops(Int($0.rounded())) },
                SweepSummary.text(cell.peakClientBytes) { ReportFormat.bytes(Int($0.rounded())) },
            ]
        }
        let drawn = cells.filter { !$0.runs.isEmpty }
        return page(
            title: "Orchard sweep \(summary.sweep)",
            sections: [
                "<p>Final accuracy is \(SVGChart.escape(SweepSummary.finalAccuracyDefinition)).</p>"
                    + table(header, rows),
                charts(
                    "Accuracy over seeds", [Progress.round, .bytesTotal, .bytesUp, .flops].map { bands(drawn, by: $0) }),
            ])
    }

    /// A whole page around `sections`.
    static func page(title: String, sections: [String]) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(SVGChart.escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
        h1 { font-size: 20px; font-weight: 600; }
        h2 { font-size: 16px; font-weight: 600; margin: 20px 0 8px; }
        table { border-collapse: collapse; margin: 12px 0 20px; background: #fff; }
        th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; font-size: 13px; }
        th:first-child, td:first-child { text-align: left; }
        th { background: #f0f0f0; }
        .charts { display: flex; flex-wrap: wrap; gap: 16px; margin-bottom: 16px; }
        .charts svg { border: 1px solid #ddd; background: #fff; }
        </style>
        </head>
        <body>
        <h1>\(SVGChart.escape(title))</h1>
        \(sections.joined(separator: "\n"))
        </body>
        </html>

        """
    }

    /// A heading, then the charts `svgs` side by side, wrapping to the page's width.
    static func charts(_ heading: String, _ svgs: [String]) -> String {
        "<h2>\(SVGChart.escape(heading))</h2>\n<div class=\"charts\">\n" + svgs.joined(separator: "\n") + "\n</div>"
    }

    /// An HTML table of `rows` under `header`, every cell escaped.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let head = "<tr>" + header.map { "<th>\(SVGChart.escape($0))</th>" }.joined() + "</tr>"
        let body = rows.map { row in "<tr>" + row.map { "<td>\(SVGChart.escape($0))</td>" }.joined() + "</tr>" }
        return "<table>\n" + ([head] + body).joined(separator: "\n") + "\n</table>"
    }
}
