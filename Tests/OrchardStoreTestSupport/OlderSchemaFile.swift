import Foundation
import GRDB

@testable import OrchardStore

/// A store file as an Orchard of an older schema wrote it: the migrations up to `upTo` alone,
/// holding the rows of `SyntheticRun`'s first rounds (copied from a file this Orchard writes, the
/// rows of later tables left out).
public enum OlderSchemaFile {
    public static func write(to path: String, rounds: Int, upTo migration: String) throws {
        let source = path + ".source"
        try SyntheticRun.write(to: source, rounds: rounds).0.close()
        let database = try DatabaseQueue(path: path)
        try database.writeWithoutTransaction { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try Schema.migrator.migrate(database, upTo: migration)
        let applied = Schema.migrationNames.prefix { $0 != migration } + [migration]
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS source", arguments: [source])
            try db.inTransaction {
                // In the order of the foreign keys: runs, clients, rounds, then the rounds' children.
                for table in StoreTable.allCases where applied.contains(table.migration) {
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
