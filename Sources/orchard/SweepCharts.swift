import Foundation
import OrchardReport
import OrchardStore

/// The HTML page of a sweep: the summary and each cell's completed runs.
enum SweepCharts {
    static func write(_ summary: SweepSummary, jobs: [SweepJob], to path: String) throws {
        var cells: [(name: String, runs: [RunChartData])] = []
        for cell in summary.cells {
            var runs: [RunChartData] = []
            for job in jobs where job.cell == cell.name {
                guard let completed = try job.completedSummary() else { continue }
                let store = try RunStore.open(at: job.database, access: .readOnly)
                defer { try? store.close() }
                runs.append(try RunChartData(label: job.name, summary: completed, store: store))
            }
            cells.append((cell.name, runs))
        }
        try HTMLOutput.write(HTMLReport.sweep(summary, cells: cells), to: path)
    }
}
