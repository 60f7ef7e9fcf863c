import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
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
        // topk_k's per-round means are 11, 20, 30.5 and 41; missing_mask is 1 in round 4 only.
        #expect(row.clientMetrics == ["missing_mask": 1, "topk_k": 25.625])
        var plain = row
        plain.label = "plain"
        plain.clientMetrics = [:]
        let table = Comparison(rows: [row, plain]).markdown()
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 12, "\(table)")  // the last line ends with a newline
        #expect(lines[2].hasPrefix("| synthetic | 70.00% | 75.00% | 0.5000 |"))
        #expect(lines[2].contains("8.00 MFLOP"))
        #expect(lines[5] == "Client figures, mean over rounds:")
        #expect(lines[7] == "| method | missing_mask | topk_k |")
        #expect(lines[9].hasPrefix("| synthetic | 1") && lines[9].contains("25.6"))
        #expect(lines[10] == "| plain | - | - |")
        #expect(Comparison(rows: [plain]).markdown().split(separator: "\n").count == 3)
        let json = try Comparison(rows: [row]).json()
        #expect(json.hasPrefix("[{\"best_accuracy\":0.75,"))
        #expect(json.contains("\"client_metrics\":{\"missing_mask\":1,\"topk_k\":25.625}"))
    }
}
