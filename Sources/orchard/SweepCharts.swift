import Foundation
import OrchardReport
import OrchardStore

/// The charts of a sweep: the HTML page, and the standalone figures with their Markdown.
enum SweepCharts {
    /// Each cell's completed runs, read from their run files, by cell name.
    static func runs(_ summary: SweepSummary, jobs: [SweepJob]) throws -> [String: [RunChartData]] {
        var cells: [String: [RunChartData]] = [:]
        for cell in summary.cells {
            var runs: [RunChartData] = []
            for job in jobs where job.cell == cell.name {
                guard let completed = try job.completedSummary() else { continue }
                let store = try RunStore.open(at: job.database, access: .readOnly)
                defer { try? store.close() }
                runs.append(try RunChartData(label: job.name, summary: completed, store: store))
            }
            cells[cell.name] = runs
        }
        return cells
    }

    /// Writes the sweep's HTML page to `path`.
    static func write(_ summary: SweepSummary, runs: [String: [RunChartData]], to path: String) throws {
        let cells = summary.cells.map { (name: $0.name, runs: runs[$0.name] ?? []) }
        try HTMLOutput.write(HTMLReport.sweep(summary, cells: cells), to: path)
    }

    /// Writes each figure of `figures` as an SVG file in `folder`, and the Markdown that shows them
    /// to `markdownPath`, its images linked as `link/FILE` (by default the folder's name).
    static func write(
        _ summary: SweepSummary, runs: [String: [RunChartData]], figures: SweepFigures, to folder: String,
        markdownPath: String, link: String?
    ) throws {
        let link = link ?? URL(fileURLWithPath: folder).lastPathComponent
        let (files, markdown) = try figures.render(summary, runs: runs, link: link)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            try HTMLOutput.write(file.svg + "\n", to: folder + "/" + file.file)
        }
        try HTMLOutput.write(markdown, to: markdownPath)
    }
}
