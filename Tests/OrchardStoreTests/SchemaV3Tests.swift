import Foundation
import GRDB
import OrchardReport
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

@testable import OrchardStore

/// Files written before schema v3: read as they are without a writer, upgraded by one with their
/// tasks, figures and foreign keys intact.
@Suite("schema v3")
struct SchemaV3Tests {
    @Test("a file of schema v2 is read as it is, read-only, with no hosts, no rejections and no CSV for them")
    func version2ReadOnly() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("v2.sqlite")
        try OlderSchemaFile.write(to: path, rounds: 4, upTo: "v2")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let store = try RunStore.open(at: path, access: .readOnly)
        let run = try #require(try store.latestRun())
        #expect(store.holds(.clientMetrics) && !store.holds(.hostEvents) && !store.holds(.peerRejections))
        #expect(try store.roundCommit(run: run, round: 4) == SyntheticRun.commit(round: 4).sortedLayers)
        #expect(try store.hostHistories(run: run).isEmpty && store.peerRejectionTotals(run: run).isEmpty)
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.clients.map(\.failed) == [0, 1, 0])
        let text = summary.text()
        #expect(text.contains("Client metrics") && !text.contains("Hosts") && !text.contains("Rejected messages"))
        let json = try summary.json()
        #expect(json.contains("\"hosts\":[]") && json.contains("\"peer_rejections\":[]"))
        let files = try CSVExport.write(store: store, run: run, to: folder.file("csv"))
        #expect(files.map { URL(fileURLWithPath: $0).lastPathComponent }.last == "client_metrics.csv")
        #expect(files.count == 8)
        try store.close()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "a reader changed the file")
    }

    @Test(
        "a file of schema v2 opened for writing gets v3 to v6, keeping its tasks, their figures and their foreign keys"
    )
    func version2Upgrade() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("v2.sqlite")
        try OlderSchemaFile.write(to: path, rounds: 3, upTo: "v2")
        let (reference, referenceRun) = try SyntheticRun.write(to: folder.file("reference.sqlite"), rounds: 3)
        defer { try? reference.close() }

        let store = try RunStore.open(at: path)
        defer { try? store.close() }
        #expect(store.holds(.hostEvents) && store.holds(.peerRejections))
        let run = try #require(try store.latestRun())
        for table in [StoreTable.clientRounds, .clientMetrics] {
            #expect(
                try ClientMetricsTests.rows(of: table, store, run)
                    == ClientMetricsTests.rows(of: table, reference, referenceRun), "\(table)")
        }
        #expect(try store.exportColumns(of: .clientRounds) == reference.exportColumns(of: .clientRounds))

        // The rebuilt table takes the new status; the run resumes and records its hosts.
        #expect(try store.prepareResume(run: run).nextRound == 3)
        #expect(try ClientMetricsTests.rows(of: .clientMetrics, store, run).count == 4, "round 3's figures cascaded")
        for round in 3...4 { try store.commitRound(PeerRun.commit(round: round), run: run) }
        #expect(try store.roundCommit(run: run, round: 4)?.clientRounds[1].status == .rejected)
        #expect(try store.hostHistories(run: run).map(\.hostID) == ["host-b"])
        try store.close()

        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        try database.write { db in
            #expect(
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == [
                    "v1", "v2", "v3", "v4", "v5", "v6",
                ])
            #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true)
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try db.indexes(on: "client_rounds").contains { $0.name == "client_rounds_by_client" })
            let parents = try String.fetchAll(
                db, sql: "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('client_metrics')")
            #expect(parents == ["client_rounds"])
            // A figure of no task, a task of no round and an unknown status are refused.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO client_metrics VALUES (1, 1, 0, 'evaluate', 'x', 1)")
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(
                    sql:
                        "INSERT INTO client_rounds (run, round, client, task, status, samples) VALUES (1, 9, 0, 'train', 'ok', 0)"
                )
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE client_rounds SET status = 'lost' WHERE round = 1")
            }
            // Deleting a round still deletes its tasks and their figures, host events and rejections.
            let children = ["client_rounds", "client_metrics", "host_events", "peer_rejections"]
            func counts() throws -> [Int] {
                try children.map { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0) WHERE round = 3") ?? -1 }
            }
            #expect(try counts() == [3, 2, 1, 1])
            try db.execute(sql: "DELETE FROM rounds WHERE round = 3")
            #expect(try counts() == [0, 0, 0, 0])
        }
    }
}
