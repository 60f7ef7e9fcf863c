import Foundation
import GRDB
import OrchardTestSupport
import Testing

@testable import OrchardStore

/// A store file as an Orchard of schema v1 wrote it: the v1 migration alone, holding the rows of
/// `SyntheticRun`'s first rounds (copied from a file this Orchard writes, figures left out).
public enum Version1File {
    /// Writes a file of `rounds` rounds in a fresh folder, opens it read-only for `body`, and
    /// expects the file unchanged once the store is closed: a reader must not upgrade it.
    public static func read(
        rounds: Int, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (RunStore, RunID, TemporaryFolder) throws -> Void
    ) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("v1.sqlite")
        try write(to: path, rounds: rounds)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let store = try RunStore.open(at: path, access: .readOnly)
        let run = try #require(try store.latestRun(), sourceLocation: sourceLocation)
        try body(store, run, folder)
        try store.close()
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: path)) == before, "a reader changed the file",
            sourceLocation: sourceLocation)
    }

    public static func write(to path: String, rounds: Int) throws {
        let source = path + ".source"
        try SyntheticRun.write(to: source, rounds: rounds).0.close()
        let database = try DatabaseQueue(path: path)
        try database.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try Schema.migrator.migrate(database, upTo: "v1")
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [source])
            try db.inTransaction {
                // In the order of the foreign keys: runs, clients, rounds, then the rounds' children.
                for table in StoreTable.allCases where table.migration == "v1" {
                    try db.execute(sql: "INSERT INTO main.\(table.rawValue) SELECT * FROM source.\(table.rawValue)")
                }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE source")
        }
        try database.close()
        for file in [source, source + "-wal", source + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.removeItem(atPath: file)
        }
    }
}
