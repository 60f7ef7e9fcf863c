import Foundation
import OrchardReport
import OrchardStore
import OrchardTestSupport
import Testing

/// The comparison table's figures for `SyntheticRun`, worked out from its documentation.
@Suite("comparison")
struct ComparisonTests {
    @Test("a row sums clients' FLOPs, takes the largest measured peak and counts refusals")
    func row() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let row = Comparison.Row(label: "synthetic", summary: try RunSummary(store: store, run: run))
        // Eight ok tasks of 1,000,000 FLOPs each.
        #expect(row.trainingFLOPs == 8_000_000)
        // Round 4's ok clients 0 and 2 measured 400,000 + 10,000 * 4 + client.
        #expect(row.peakClientBytes == 440_002)
        #expect(row.refusedTasks == 1)
        #expect(row.finalAccuracy == 0.7 && row.bestAccuracy == 0.75 && row.finalDensity == 0.5)
        let table = Comparison(rows: [row, row]).markdown()
        let lines = table.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[2].hasPrefix("| synthetic | 70.00% | 75.00% | 0.5000 |"))
        #expect(lines[2].contains("8.00 MFLOP"))
        let json = try Comparison(rows: [row]).json()
        #expect(json.hasPrefix("[{\"best_accuracy\":0.75,"))
    }
}
