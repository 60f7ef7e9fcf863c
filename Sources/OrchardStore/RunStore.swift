import Foundation
import GRDB

/// An Orchard run file: one SQLite database (WAL) holding runs, their rounds, messages and checkpoints.
///
/// The coordinator is the only writer: `create(at:replacing:)` and `open(at:access:)` with
/// `.readWrite` take a lock that a second writing process cannot get (it fails with
/// `StoreError.locked`). Readers, such as `orchard report` on a run in progress, open the file
/// `.readOnly` and see every round committed so far. Every method throws `StoreError`, which names
/// the file.
///
/// ```swift
/// let store = try RunStore.create(at: "runs/quickstart.sqlite")
/// let run = try store.startRun(info)
/// try store.registerClients(clients, run: run)
/// for round in 1...rounds { try store.commitRound(commit(round), run: run) }
/// try store.finishRun(run, status: .completed)
/// ```
///
/// A `RunStore` may be used from any thread; its calls are serialised.
public final class RunStore: Sendable {
    /// How a store is opened.
    public enum Access: Sendable {
        /// Read and write; takes the writer lock and upgrades an older schema.
        case readWrite
        /// Read only; takes no lock and changes nothing in the file.
        case readOnly
    }

    /// The database file's path, as given.
    public let path: String
    /// Whether writes are refused.
    public let isReadOnly: Bool
    /// The one connection.
    let database: DatabaseQueue
    /// The writer's lock, `nil` for a read-only store.
    private let writerLock: WriterLock?
    /// The migrations the file lacks: some of `Schema.readableWithout` for a read-only store of an
    /// older file, else none.
    let missingMigrations: Set<String>

    private init(path: String, database: DatabaseQueue, writerLock: WriterLock?, missingMigrations: Set<String> = []) {
        self.path = path
        self.database = database
        self.writerLock = writerLock
        self.isReadOnly = writerLock == nil
        self.missingMigrations = missingMigrations
    }

    /// Whether the file has `table`; a file written by an older Orchard, opened read-only, may lack
    /// a later one, whose rows then read as none.
    public func holds(_ table: StoreTable) -> Bool { !missingMigrations.contains(table.migration) }

    /// Creates a new store file at `path`, in WAL mode with the current schema.
    ///
    /// - Parameter replacing: whether to delete an existing file (and its `-wal` and `-shm`
    ///   companions) first; without it an existing file is an error.
    public static func create(at path: String, replacing: Bool = false) throws(StoreError) -> RunStore {
        let lock = try WriterLock.acquire(for: path)
        if FileManager.default.fileExists(atPath: path) {
            guard replacing else {
                lock.release()
                throw .fileExists(path: path)
            }
            for companion in [path, path + "-wal", path + "-shm"]
            where FileManager.default.fileExists(atPath: companion) {
                do {
                    try FileManager.default.removeItem(atPath: companion)
                } catch {
                    throw .cannotOpen(path: path, detail: "cannot remove \(companion): \(error.localizedDescription)")
                }
            }
        }
        let database = try connect(path: path, readOnly: false)
        try withStoreErrors(path: path, operation: "creating the schema") {
            try database.writeWithoutTransaction { db in
                // The journal mode is recorded in the file, so every later connection uses WAL.
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                guard mode == "wal" else {
                    throw StoreError.cannotOpen(path: path, detail: "SQLite refused WAL mode (got \(mode ?? "none"))")
                }
            }
            try Schema.migrator.migrate(database)
        }
        return RunStore(path: path, database: database, writerLock: lock)
    }

    /// Opens an existing store file, checking that it is an Orchard store this binary understands.
    ///
    /// A read-write store upgrades a file of an older schema; a read-only one reads it as it is
    /// when it lacks only tables that readers can do without (`holds(_:)`), and refuses it
    /// otherwise. A file of a newer schema is refused.
    public static func open(at path: String, access: Access = .readWrite) throws(StoreError) -> RunStore {
        try checkFile(path)
        let lock = access == .readWrite ? try WriterLock.acquire(for: path) : nil
        let (database, missing) =
            try access == .readOnly ? connectReadOnly(path: path) : connectChecked(path: path, readOnly: false)
        if !missing.isEmpty {
            guard access == .readWrite else {
                guard Set(missing).isSubset(of: Schema.readableWithout) else {
                    throw .olderSchema(path: path, missingMigrations: missing)
                }
                return RunStore(path: path, database: database, writerLock: nil, missingMigrations: Set(missing))
            }
            try withStoreErrors(path: path, operation: "upgrading the schema") {
                try Schema.migrator.migrate(database)
            }
        }
        return RunStore(path: path, database: database, writerLock: lock)
    }

    /// Closes the database and gives up the writer lock; the store cannot be used afterwards.
    ///
    /// Dropping the last reference does the same; `close()` reports an error that closing meets.
    public func close() throws(StoreError) {
        defer { writerLock?.release() }
        try withStoreErrors(path: path, operation: "closing") { try database.close() }
    }

    /// Throws unless the store may write.
    func requireWritable() throws(StoreError) {
        if isReadOnly { throw .readOnly(path: path) }
    }

    /// Fails early, with a clear error, on a path that names no file or an empty one.
    private static func checkFile(_ path: String) throws(StoreError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .fileNotFound(path: path)
        }
        if isFolder.boolValue { throw .notSQLite(path: path, detail: "it is a folder") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw .emptyFile(path: path) }
    }

    /// A connection to `path` with the store's settings, and the migrations the file lacks.
    private static func connectChecked(path: String, readOnly: Bool, immutable: Bool = false) throws(StoreError)
        -> (DatabaseQueue, [String])
    {
        let database = try connect(path: path, readOnly: readOnly, immutable: immutable)
        return (database, try checkSchema(database, path: path))
    }

    /// A read-only connection to `path`, and the migrations the file lacks.
    ///
    /// Reading a WAL file needs its `-shm` index, which SQLite creates next to the file: in a
    /// folder the reader cannot write (a read-only mount, another user's folder) that fails once
    /// the writer has closed and removed it. The file is then opened immutable, which reads it
    /// without any index or lock; this is only right when no writer is at work, which is the case
    /// then, since a live writer keeps its `-shm` file.
    private static func connectReadOnly(path: String) throws(StoreError) -> (DatabaseQueue, [String]) {
        do {
            return try connectChecked(path: path, readOnly: true)
        } catch {
            switch error {
            case .readOnly, .cannotOpen:
                guard !FileManager.default.fileExists(atPath: path + "-shm") else { throw error }
                // Should that fail too, the first error says best what is wrong.
                do {
                    return try connectChecked(path: path, readOnly: true, immutable: true)
                } catch {}
                throw error
            default:
                throw error
            }
        }
    }

    /// Opens the SQLite connection with the store's settings.
    ///
    /// An `immutable` connection names the file by an SQLite URI with `immutable=1`.
    private static func connect(path: String, readOnly: Bool, immutable: Bool = false) throws(StoreError)
        -> DatabaseQueue
    {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.foreignKeysEnabled = true
        // Readers and the writer wait for each other's short transactions rather than failing.
        configuration.busyMode = .timeout(10)
        configuration.label = "OrchardStore"
        if !readOnly {
            // In WAL mode, NORMAL loses no committed transaction when the process dies, only
            // (possibly) the last ones on a power failure, and it syncs far less than FULL.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        return try withStoreErrors(path: path, operation: "opening") {
            try DatabaseQueue(path: immutable ? immutableURI(path) : path, configuration: configuration)
        }
    }

    /// `file:PATH?immutable=1`, with the characters that URIs reserve in `PATH` escaped.
    private static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var escaped = ""
        for character in absolute.unicodeScalars {
            switch character {
            case "%", "?", "#": escaped += String(format: "%%%02X", character.value)
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file:" + escaped + "?immutable=1"
    }

    /// Checks the application id and migrations; returns the migrations the file lacks.
    private static func checkSchema(_ database: DatabaseQueue, path: String) throws(StoreError) -> [String] {
        try withStoreErrors(path: path, operation: "reading the schema") {
            try database.read { db in
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let applied = try Schema.migrator.appliedIdentifiers(db)
                guard applicationID == Schema.applicationID, !applied.isEmpty else {
                    let tables = try String.fetchAll(
                        db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 6")
                    if tables.isEmpty {
                        throw StoreError.notOrchard(path: path, detail: "an SQLite file with no tables")
                    }
                    let listed = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
                    throw StoreError.notOrchard(
                        path: path, detail: "an SQLite file whose tables (\(listed)) are not Orchard's")
                }
                let known = Schema.migrationNames
                let unknown = applied.subtracting(known).sorted()
                if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown) }
                return known.filter { !applied.contains($0) }
            }
        }
    }
}
