import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// `link_times` (schema v4): written with their round, summed per round and group, shown by the report.
@Suite("link times")
struct LinkTimeReportTests {
    /// SyntheticRun's first two rounds with link times: clients 0 and 1 are `fast`, 2 is `slow`.
    func write(to path: String) throws -> (RunStore, RunID) {
        let (store, run) = try SyntheticRun.write(to: path, rounds: 0)
        var first = SyntheticRun.commit(round: 1)
        first.linkTimes = [
            LinkTimeRecord(clientID: 0, measuredSeconds: 1.5, predictedSeconds: 1, bytesDown: 1000, bytesUp: 500),
            LinkTimeRecord(clientID: 1, measuredSeconds: 2.5, predictedSeconds: 2, bytesDown: 1001, bytesUp: 501),
            LinkTimeRecord(clientID: 2, measuredSeconds: 4, predictedSeconds: 5, bytesDown: 1002, bytesUp: 502),
        ]
        try store.commitRound(first, run: run)
        var second = SyntheticRun.commit(round: 2)
        second.linkTimes = [
            LinkTimeRecord(clientID: 0, measuredSeconds: 3, predictedSeconds: 2, bytesDown: 2000, bytesUp: 500)
        ]
        try store.commitRound(second, run: run)
        return (store, run)
    }

    @Test("sums per round and group, by round then group")
    func totals() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        #expect(
            try store.linkTimeTotals(run: run) == [
                LinkTimeTotal(round: 1, group: "fast", tasks: 2, measuredSeconds: 4, predictedSeconds: 3),
                LinkTimeTotal(round: 1, group: "slow", tasks: 1, measuredSeconds: 4, predictedSeconds: 5),
                LinkTimeTotal(round: 2, group: "fast", tasks: 1, measuredSeconds: 3, predictedSeconds: 2),
            ])
    }

    @Test("a negative, infinite or repeated link time is refused before SQLite")
    func refused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 0)
        defer { try? store.close() }
        let bad = [
            [LinkTimeRecord(clientID: 0, measuredSeconds: -1, predictedSeconds: 1, bytesDown: 1, bytesUp: 1)],
            [LinkTimeRecord(clientID: 0, measuredSeconds: 1, predictedSeconds: .infinity, bytesDown: 1, bytesUp: 1)],
            Array(
                repeating: LinkTimeRecord(
                    clientID: 0, measuredSeconds: 1, predictedSeconds: 1, bytesDown: 1, bytesUp: 1),
                count: 2),
        ]
        for records in bad {
            var commit = SyntheticRun.commit(round: 1)
            commit.linkTimes = records
            #expect(throws: StoreError.self) { try store.commitRound(commit, run: run) }
        }
        #expect(try store.linkTimeTotals(run: run).isEmpty)
    }

    @Test("the report shows measured, predicted and their ratio per group, in text and JSON")
    func report() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(
            summary.linkTimeGroups == [
                .init(group: "fast", rounds: 2, tasks: 3, measuredSeconds: 7, predictedSeconds: 5),
                .init(group: "slow", rounds: 1, tasks: 1, measuredSeconds: 4, predictedSeconds: 5),
            ])
        let text = summary.text()
        #expect(text.contains("Link times (measured on the network, predicted by the virtual clock), by group"))
        // fast: 7 / 3 = 2.333 s measured and 5 / 3 = 1.667 s predicted per task, ratio 1.40.
        #expect(
            text.split(separator: "\n").contains { $0.contains("fast") && $0.contains("2.333") && $0.contains("1.40") })
        #expect(text.split(separator: "\n").contains { $0.contains("slow") && $0.contains("0.80") })

        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try summary.json().utf8)) as? [String: Any])
        let groups = try #require(object["link_times"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["fast", "slow"])
        #expect((groups[0]["ratio"] as? Double).map { abs($0 - 1.4) < 1e-12 } == true)
        #expect(groups[0]["round"] == nil)
        let rounds = try #require(object["link_times_per_round"] as? [[String: Any]])
        #expect(rounds.map { $0["round"] as? Int } == [1, 1, 2])
    }

    @Test("a run that did not measure its links has no link time section")
    func absent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.linkTimes.isEmpty && !summary.text().contains("Link times"))
    }
}
