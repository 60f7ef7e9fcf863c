import ArgumentParser
import Foundation
import OrchardReport
import OrchardStore

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarise a recorded run: accuracy, bytes, time, overhead, clients and the final model's hash.",
        discussion: """
            Reads the run file read-only, so it also works on a run in progress. With --json, prints one \
            JSON object on one line (keys sorted) for scripts; with --csv DIR, also writes each table of \
            the run to DIR/<table>.csv. docs/store.md says how every figure is computed.
            """)

    @Argument(help: "The run file (SQLite) written by orchard run.") var file: String
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Option(help: ArgumentHelp("Also export every table of the run as CSV into this folder.", valueName: "dir"))
    var csv: String?
    @Option(
        name: .customLong("run"), parsing: .unconditional,
        help: "The run to report, by id (default: the latest run in the file).")
    var runID: Int64?
    @Option(parsing: .unconditional, help: "Rows shown per table before the middle rows are left out.") var rows = 20
    @Option(help: ArgumentHelp("Also write the run's charts to this self-contained HTML file.", valueName: "file"))
    var html: String?

    func validate() throws {
        try OptionCheck.positive("--rows", rows)
        if let runID { try OptionCheck.positive("--run", runID) }
    }

    func run() throws {
        let store = try RunStore.open(at: file, access: .readOnly)
        defer { try? store.close() }
        let id: RunID
        if let runID {
            id = RunID(rawValue: runID)
        } else {
            guard let latest = try store.latestRun() else { throw StoreError.noRuns(path: file) }
            id = latest
        }
        let summary = try RunSummary(store: store, run: id)
        guard summary.rounds > 0 else { throw ReportError.emptyRun(path: file, run: id) }
        if json {
            print(try summary.json())
        } else {
            print(summary.text(maxRows: rows), terminator: "")
        }
        if let html {
            let data = try RunChartData(
                label: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, summary: summary,
                store: store)
            try HTMLOutput.write(HTMLReport.run(data, summary: summary), to: html)
            let note = "wrote \(html)\n"
            if json { FileHandle.standardError.write(Data(note.utf8)) } else { print("\n" + note, terminator: "") }
        }
        if let csv {
            let files = try CSVExport.write(store: store, run: id, to: csv)
            let note = "wrote \(files.count) CSV files to \(csv)\n"
            // With --json, standard output holds exactly one JSON object.
            if json { FileHandle.standardError.write(Data(note.utf8)) } else { print("\n" + note, terminator: "") }
        }
    }
}
