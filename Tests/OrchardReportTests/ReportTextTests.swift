import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// The text report: headline figures, aligned tables, long tables cut in the middle.
@Suite("text report")
struct ReportTextTests {
    @Test("the headline figures and the three tables are there")
    func content() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let text = try RunSummary(store: store, run: run).text()
        for piece in [
            "Run 1 of \(store.path): synthetic, \"quoted\" (completed)",
            "method fedavg, model lenet5, data set synthetic-images, seed 18369614221190020847, 3 clients, 2 processes",
            "Rounds                4 of 4 planned", "Final accuracy        70.00% (round 4), test loss 1.0000",
            "Best accuracy         75.00% (round 3)", "Bytes down            29.4 KiB (30,084 B)",
            "Bytes up              3.9 KiB (4,006 B)", "Simulated time        40.00 s",
            "Wall time             100.00 s (rounds 10.00 s)",
            "Coordinator overhead  10.00% of the rounds' wall time (1.00 s)",
            "Final model sha256    \(SyntheticRun.state(round: 4).sha256.hex) (checkpoint of round 4)",
            "predicted peak", "measured peak",
        ] {
            #expect(text.contains(piece), "no \"\(piece)\" in\n\(text)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") }, "trailing spaces in\n\(text)")
        // Table columns line up: every row of the rounds table is as wide as its header.
        let header = try #require(lines.firstIndex { $0.hasPrefix("round  phase") })
        #expect(lines[header].count == lines[header + 1].count)
    }

    @Test("the client figures are one line each: rounds, first and last round's means, mean over rounds")
    func clientMetrics() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let text = try RunSummary(store: store, run: run).text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let title = try #require(lines.firstIndex { $0.hasPrefix("Client metrics") })
        // topk_k's means by round are 11, 20, 30.5 and 41; their mean is 25.625.
        #expect(
            Array(lines[(title + 1)...(title + 3)]) == [
                "metric        rounds  first round  first  last round  last    mean",
                "missing_mask       1            4      1           4     1       1",
                "topk_k             4            1     11           4    41  25.625",
            ], "\(text)")
    }

    @Test("a run of many clients shows the first and last ones and says how many are left out")
    func manyClients() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("run.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(
            (0..<50).map {
                ClientRecord(
                    clientID: $0, group: "g", memoryBudgetBytes: nil, uplinkBitsPerSecond: 1, downlinkBitsPerSecond: 1,
                    latencySeconds: 0, computeFLOPsPerSecond: 1, trainSamples: 1)
            }, run: run)
        try store.commitRound(
            RoundCommit(
                round: RoundRecord(
                    round: 1, phase: "train", simStart: 0, simSeconds: 1, wallSeconds: 1, coordinatorSeconds: 0,
                    sampled: 0, answered: 0, dropped: 0)),
            run: run)
        let text = try RunSummary(store: store, run: run).text(maxRows: 10)
        let lines = text.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "Clients"))
        let rows = lines[(start + 2)...].map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(rows == ["0", "1", "2", "3", "4", "...", "45", "46", "47", "48", "49"])
        #expect(text.contains("... 40 clients not shown (--csv DIR exports them all) ..."))
        #expect(!text.contains("predicted peak"), "no memory columns when no memory was recorded")
    }
}
