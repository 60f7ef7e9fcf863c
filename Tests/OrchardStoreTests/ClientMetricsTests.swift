import Foundation
import GRDB
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

@testable import OrchardStore

/// The figures clients report beyond the columns of `client_rounds` (`client_metrics`, schema v2):
/// stored with their round, deleted with it, summed for the report, and absent from older files.
@Suite("client metrics")
struct ClientMetricsTests {
    @Test("each task's figures read back with its round, in every round")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        for round in 1...4 {
            let commit = try #require(try store.roundCommit(run: run, round: round))
            #expect(commit.clientRounds.map(\.metrics) == SyntheticRun.commit(round: round).clientRounds.map(\.metrics))
        }
        var rows: [[StoreValue]] = []
        try store.exportRows(of: .clientMetrics, run: run) { rows.append($0) }
        #expect(try store.exportColumns(of: .clientMetrics) == ["run", "round", "client", "task", "name", "value"])
        #expect(rows.count == 9)
        #expect(rows.last == [.integer(1), .integer(4), .integer(2), .text("train"), .text("topk_k"), .real(42)])
    }

    @Test("a NaN is stored as NULL and reads back as NaN; infinities and names with dots are kept")
    func nonFinite() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        var commit = SyntheticRun.commit(round: 4)
        commit.clientRounds[0].metrics = ["loss_sum.0": .nan, "loss_sum.1": .infinity, "correct.0": -0.5]
        try store.commitRound(commit, run: run)
        let stored = try #require(try store.roundCommit(run: run, round: 4)?.clientRounds[0].metrics)
        #expect(stored.count == 3)
        #expect(stored["loss_sum.0"]?.isNaN == true)
        #expect(stored["loss_sum.1"] == .infinity && stored["correct.0"] == -0.5)
        var values: [StoreValue] = []
        try store.exportRows(of: .clientMetrics, run: run) { row in
            if row[1] == .integer(4) && row[2] == .integer(0) { values.append(row[5]) }
        }
        // Ordered by name: correct.0, loss_sum.0, loss_sum.1.
        #expect(values == [.real(-0.5), .null, .real(.infinity)])
    }

    @Test("a figure without a name is refused before anything is written")
    func emptyName() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        var commit = SyntheticRun.commit(round: 4)
        commit.clientRounds[2].metrics[""] = 1
        let error = #expect(throws: StoreError.self) { try store.commitRound(commit, run: run) }
        guard case .invalidRecord(let path, let detail) = error else {
            Issue.record("expected an invalid record, got \(String(describing: error))")
            return
        }
        #expect(path == store.path)
        #expect(detail == "round 4 of run \(run): client 2: a figure has an empty name")
        #expect(try store.lastCommittedRound(run: run) == 3)
    }

    @Test("each figure is summed per round over the clients that reported it, whatever their status")
    func series() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        #expect(
            try store.clientMetrics(run: run) == [
                MetricSeries(
                    name: "missing_mask", rounds: [.init(round: 4, clients: 1, mean: 1, minimum: 1, maximum: 1)]),
                MetricSeries(
                    name: "topk_k",
                    rounds: [
                        .init(round: 1, clients: 3, mean: 11, minimum: 10, maximum: 12),
                        .init(round: 2, clients: 1, mean: 20, minimum: 20, maximum: 20),
                        .init(round: 3, clients: 2, mean: 30.5, minimum: 30, maximum: 31),
                        .init(round: 4, clients: 2, mean: 41, minimum: 40, maximum: 42),
                    ]),
            ])
        #expect(try store.overview(run: run).clientMetrics == store.clientMetrics(run: run))
    }

    @Test("resuming deletes the figures of the rounds after the checkpoint, and the replay writes the same rows")
    func resume() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let reference = folder.file("reference.sqlite")
        let (complete, completeRun) = try SyntheticRun.write(to: reference)
        defer { try? complete.close() }
        let path = folder.file("killed.sqlite")
        try SyntheticRun.write(to: path, rounds: 3).0.close()

        let store = try RunStore.open(at: path)
        defer { try? store.close() }
        let run = try #require(try store.latestRun())
        let point = try store.prepareResume(run: run)
        #expect(point.nextRound == 3)
        #expect(try Self.rows(of: .clientMetrics, store, run).allSatisfy { $0[1] != .integer(3) })
        #expect(try Self.rows(of: .clientMetrics, store, run).count == 4)
        for round in 3...4 { try store.commitRound(SyntheticRun.commit(round: round), run: run) }
        #expect(try Self.rows(of: .clientMetrics, store, run) == Self.rows(of: .clientMetrics, complete, completeRun))
    }

    @Test("a file of schema v1 is read as it is, read-only, with no figures")
    func version1ReadOnly() throws {
        try Version1File.read(rounds: 4) { (store, run, _) throws in
            #expect(!store.holds(.clientMetrics) && store.holds(.clientRounds))
            #expect(try store.rounds(run: run).count == 4)
            #expect(try store.roundCommit(run: run, round: 1)?.clientRounds.allSatisfy { $0.metrics.isEmpty } == true)
            #expect(try store.clientMetrics(run: run).isEmpty)
            #expect(try store.exportColumns(of: .clientMetrics).isEmpty)
        }
    }

    @Test("a file of schema v1 opened for writing gets v2 to v6, and its killed run resumes with figures")
    func version1Upgrade() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("v1.sqlite")
        try Version1File.write(to: path, rounds: 3)

        let store = try RunStore.open(at: path)
        defer { try? store.close() }
        #expect(store.holds(.clientMetrics))
        let run = try #require(try store.latestRun())
        #expect(try store.prepareResume(run: run).nextRound == 3)
        for round in 3...4 { try store.commitRound(SyntheticRun.commit(round: round), run: run) }
        #expect(try store.roundCommit(run: run, round: 4) == SyntheticRun.commit(round: 4).sortedLayers)
        #expect(try store.clientMetrics(run: run).map { $0.rounds.map(\.round) } == [[4], [3, 4]])

        let reader = try DatabaseQueue(
            path: path,
            configuration: {
                var c = Configuration(); c.readonly = true; return c
            }())
        defer { try? reader.close() }
        #expect(
            try reader.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == [
                "v1", "v2", "v3", "v4", "v5", "v6",
            ])
    }

    /// Every row of `table` for the run.
    static func rows(of table: StoreTable, _ store: RunStore, _ run: RunID) throws -> [[StoreValue]] {
        var rows: [[StoreValue]] = []
        try store.exportRows(of: table, run: run) { rows.append($0) }
        return rows
    }
}
