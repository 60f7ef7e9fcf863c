import OrchardStoreTestSupport
import Testing

@testable import OrchardReport

/// Reports of a file that an Orchard of schema v1 wrote, which has no `client_metrics` table.
@Suite("reports of schema v1 files")
struct Version1ReportTests {
    @Test("a file of schema v1 reports no client metrics, gets no client_metrics.csv and is left as it was")
    func noClientMetrics() throws {
        try Version1File.read(rounds: 4) { (store, run, folder) throws in
            let summary = try RunSummary(store: store, run: run)
            #expect(summary.clientMetrics.isEmpty)
            #expect(!summary.text().contains("Client metrics"))
            #expect(try summary.json().contains("\"client_metrics\":[]"))
            let files = try CSVExport.write(store: store, run: run, to: folder.file("csv"))
            #expect(files.count == 7 && !files.contains { $0.hasSuffix("client_metrics.csv") })
        }
    }
}
