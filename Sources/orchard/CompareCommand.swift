import ArgumentParser
import Foundation
import OrchardReport
import OrchardStore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put recorded runs side by side: accuracy, bytes, FLOPs, client memory, simulated time.",
        discussion: """
            Reads the latest run of each file. Prints a Markdown table (one row per file, in the order \
            given) and, when any run has figures its clients reported beyond these (topk_k, \
            grown_weights, ...), a second table of their means over rounds; with --json one JSON array \
            whose rows carry them as client_metrics. Labels default to each file's name without its \
            extension.
            """)

    @Argument(help: "Run files (SQLite) written by orchard run.") var files: [String]
    @Option(parsing: .upToNextOption, help: "A label per file, in the same order.") var labels: [String] = []
    @Flag(help: "Print one JSON array instead of a table.") var json = false
    @Option(help: ArgumentHelp("Also write the runs' charts to this self-contained HTML file.", valueName: "file"))
    var html: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one run file") }
        guard labels.isEmpty || labels.count == files.count else {
            throw ValidationError("--labels gives \(labels.count) labels for \(files.count) files")
        }
    }

    func run() throws {
        var rows: [Comparison.Row] = []
        var charts: [RunChartData] = []
        for (index, file) in files.enumerated() {
            let store = try RunStore.open(at: file, access: .readOnly)
            defer { try? store.close() }
            guard let latest = try store.latestRun() else { throw StoreError.noRuns(path: file) }
            let summary = try RunSummary(store: store, run: latest)
            guard summary.rounds > 0 else { throw ReportError.emptyRun(path: file, run: latest) }
            let label =
                labels.isEmpty ? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent : labels[index]
            rows.append(Comparison.Row(label: label, summary: summary))
            if html != nil { charts.append(try RunChartData(label: label, summary: summary, store: store)) }
        }
        let comparison = Comparison(rows: rows)
        print(json ? try comparison.json() : comparison.markdown(), terminator: json ? "\n" : "")
        if let html {
            try HTMLOutput.write(HTMLReport.comparison(charts, table: comparison), to: html)
            FileHandle.standardError.write(Data("wrote \(html)\n".utf8))
        }
    }
}
