import Foundation
import GRDB
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// Creating and opening store files: the schema, WAL, and the errors for files that are not stores.
@Suite("store files")
struct StoreFileTests {
    @Test("a new file gets every migration, Orchard's application id, WAL mode and every table")
    func freshFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let store = try RunStore.create(at: path)
        try store.close()

        let database = try DatabaseQueue(path: path)
        try database.read { db in
            #expect(
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") == [
                    "v1", "v2", "v3", "v4", "v5", "v6",
                ])
            #expect(try Int.fetchOne(db, sql: "PRAGMA application_id") == 0x4F52_4348)
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            let tables = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
            for table in StoreTable.allCases { #expect(tables.contains(table.rawValue), "no table \(table.rawValue)") }
        }
        try database.close()
    }

    @Test("a store reopens, read-write and read-only, with its runs intact")
    func reopen() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let (store, run) = try SyntheticRun.write(to: path)
        try store.close()

        let writer = try RunStore.open(at: path)
        #expect(!writer.isReadOnly)
        #expect(try writer.runRecord(run).status == .completed)
        try writer.close()

        let reader = try RunStore.open(at: path, access: .readOnly)
        #expect(reader.isReadOnly)
        #expect(try reader.rounds(run: run).count == 4)
        #expect(throws: StoreError.readOnly(path: path)) { try reader.startRun(SyntheticRun.info) }
        try reader.close()
    }

    @Test("the writer's lock keeps a second writer out until it closes, and readers are let in")
    func singleWriter() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let store = try RunStore.create(at: path)
        let second = #expect(throws: StoreError.self) { try RunStore.open(at: path) }
        guard case .locked(let lockedPath, let detail) = second else {
            Issue.record("expected a locked error, got \(String(describing: second))")
            return
        }
        #expect(lockedPath == path)
        #expect(detail.contains("process \(getpid())"), "\(detail)")
        #expect(throws: StoreError.self) { try RunStore.create(at: path, replacing: true) }

        let reader = try RunStore.open(at: path, access: .readOnly)
        #expect(try reader.latestRun() == nil)
        try reader.close()

        try store.close()
        #expect(!FileManager.default.fileExists(atPath: path + "-lock"))
        try RunStore.open(at: path).close()
    }

    @Test("create refuses an existing file unless asked to replace it")
    func createExisting() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("run.sqlite", Array("not a database".utf8))
        #expect(throws: StoreError.fileExists(path: path)) { try RunStore.create(at: path) }
        let store = try RunStore.create(at: path, replacing: true)
        #expect(try store.latestRun() == nil)
        try store.close()
    }

    @Test("a missing file, an empty file, a folder and a missing folder give errors that name the path")
    func missingAndEmpty() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.file("missing.sqlite")
        #expect(throws: StoreError.fileNotFound(path: missing)) { try RunStore.open(at: missing) }
        #expect(throws: StoreError.fileNotFound(path: missing)) { try RunStore.open(at: missing, access: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: missing), "opening must not create the file")

        let empty = try folder.write("empty.sqlite", [])
        #expect(throws: StoreError.emptyFile(path: empty)) { try RunStore.open(at: empty) }
        #expect(
            StoreError.emptyFile(path: empty).description == "\(empty): not an Orchard database (the file is empty)")

        let error = #expect(throws: StoreError.self) { try RunStore.open(at: folder.path) }
        #expect(error?.description.hasPrefix(folder.path + ": not an Orchard database") == true)

        let inMissingFolder = folder.file("no/such/folder/run.sqlite")
        let creation = #expect(throws: StoreError.self) { try RunStore.create(at: inMissingFolder) }
        guard case .cannotOpen(let path, _) = creation else {
            Issue.record("expected cannotOpen, got \(String(describing: creation))")
            return
        }
        #expect(path == inMissingFolder)
    }

    @Test(
        "garbage, text and a truncated header are not SQLite files",
        arguments: [
            Array("name: quickstart\nrounds: 10\n".utf8),
            [UInt8](repeating: 0xAB, count: 4096),
            Array("SQLite format 3\u{0}".utf8) + [UInt8](repeating: 0, count: 20),
        ])
    func garbage(_ bytes: [UInt8]) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try folder.write("garbage.sqlite", bytes)
        for access in [RunStore.Access.readWrite, .readOnly] {
            let error = #expect(throws: StoreError.self) { try RunStore.open(at: path, access: access) }
            guard case .notSQLite(let errorPath, _) = error else {
                Issue.record("expected notSQLite, got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path)
            #expect(error?.description.hasPrefix("\(path): not an Orchard database (not an SQLite file") == true)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes), "opening changed the file")
    }

    @Test("another application's SQLite file is not an Orchard database, and is left unchanged")
    func foreignDatabase() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("other.sqlite")
        let other = try DatabaseQueue(path: path)
        try other.write { db in
            try db.execute(sql: "CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT)")
            try db.execute(sql: "INSERT INTO players (name) VALUES ('Arthur')")
        }
        try other.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let error = #expect(throws: StoreError.self) { try RunStore.open(at: path) }
        guard case .notOrchard(let errorPath, let detail) = error else {
            Issue.record("expected notOrchard, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(detail.contains("players"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("a file migrated by a newer Orchard is refused, naming the unknown migration")
    func newerSchema() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("future.sqlite")
        try RunStore.create(at: path).close()
        let database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN hosts TEXT")
        }
        try database.close()

        for access in [RunStore.Access.readWrite, .readOnly] {
            #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v99"])) {
                try RunStore.open(at: path, access: access)
            }
        }
        let text = StoreError.newerSchema(path: path, unknownMigrations: ["v99"]).description
        #expect(text.hasPrefix("\(path): written by a newer Orchard") && text.contains("v99"))
    }

    @Test("errors say which file and what, in one sentence")
    func descriptions() {
        let path = "runs/a.sqlite"
        let run = RunID(rawValue: 3)
        let errors: [StoreError] = [
            .fileNotFound(path: path), .locked(path: path, detail: "process 12 is writing it"),
            .unknownRun(path: path, run: run), .noRuns(path: path),
            .wrongRunState(path: path, run: run, detail: "is completed: nothing to resume"),
            .corruptCheckpoint(path: path, run: run, round: 4, detail: "its state hashes to x"),
            .database(path: path, operation: "committing round 2 of run 3", detail: "disk I/O error"),
        ]
        for error in errors {
            #expect(error.path == path)
            #expect(error.description.hasPrefix(path + ": "), "\(error)")
        }
        #expect(StoreError.unknownRun(path: path, run: run).description == "runs/a.sqlite: no run 3")
    }
}
