import Foundation
import GRDB

/// What went wrong with a run store, always naming the file.
///
/// Each case's `description` is a whole sentence for people, starting with the path, such as
/// `runs/a.sqlite: not an Orchard database (it has no Orchard tables)`.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file at the path.
    case fileNotFound(path: String)
    /// `create(at:)` was asked to make a file that already exists.
    case fileExists(path: String)
    /// The file exists but has no bytes.
    case emptyFile(path: String)
    /// The file is not an SQLite database at all, or it is damaged.
    case notSQLite(path: String, detail: String)
    /// The file is an SQLite database that Orchard did not write.
    case notOrchard(path: String, detail: String)
    /// The file was written by a newer Orchard, whose schema has migrations this binary does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// The file's schema is older than this binary's and a read-only store cannot upgrade it.
    case olderSchema(path: String, missingMigrations: [String])
    /// Another process is writing the file, or holds a lock longer than the wait allows.
    case locked(path: String, detail: String)
    /// A write was attempted through a store opened read-only.
    case readOnly(path: String)
    /// The file cannot be opened or created (a missing folder, no permission, ...).
    case cannotOpen(path: String, detail: String)
    /// No run of that id in the file.
    case unknownRun(path: String, run: RunID)
    /// The file holds no run at all.
    case noRuns(path: String)
    /// A record handed to the store breaks a rule of the schema (the detail says which).
    case invalidRecord(path: String, detail: String)
    /// The run is not in a state that allows the operation (the detail says why).
    case wrongRunState(path: String, run: RunID, detail: String)
    /// A stored checkpoint does not match its own hash or name table.
    case corruptCheckpoint(path: String, run: RunID, round: Int, detail: String)
    /// SQLite reported an error the other cases do not describe.
    case database(path: String, operation: String, detail: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .fileExists(let path), .emptyFile(let path), .notSQLite(let path, _),
            .notOrchard(let path, _), .newerSchema(let path, _), .olderSchema(let path, _), .locked(let path, _),
            .readOnly(let path), .cannotOpen(let path, _), .unknownRun(let path, _), .noRuns(let path),
            .invalidRecord(let path, _), .wrongRunState(let path, _, _), .corruptCheckpoint(let path, _, _, _),
            .database(let path, _, _):
            path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            "\(path): no such file"
        case .fileExists(let path):
            "\(path): the file already exists (remove it, or create the store with replacing: true)"
        case .emptyFile(let path):
            "\(path): not an Orchard database (the file is empty)"
        case .notSQLite(let path, let detail):
            "\(path): not an Orchard database (not an SQLite file: \(detail))"
        case .notOrchard(let path, let detail):
            "\(path): not an Orchard database (\(detail))"
        case .newerSchema(let path, let unknown):
            "\(path): written by a newer Orchard (schema migrations \(unknown.joined(separator: ", ")) "
                + "are unknown to this version); use a newer orchard binary"
        case .olderSchema(let path, let missing):
            "\(path): written by an older Orchard (schema migrations \(missing.joined(separator: ", ")) "
                + "are missing); open it once for writing to upgrade it"
        case .locked(let path, let detail):
            "\(path): the database is locked (\(detail))"
        case .readOnly(let path):
            "\(path): the store was opened read-only"
        case .cannotOpen(let path, let detail):
            "\(path): cannot open (\(detail))"
        case .unknownRun(let path, let run):
            "\(path): no run \(run)"
        case .noRuns(let path):
            "\(path): the database holds no run"
        case .invalidRecord(let path, let detail):
            "\(path): \(detail)"
        case .wrongRunState(let path, let run, let detail):
            "\(path): run \(run) \(detail)"
        case .corruptCheckpoint(let path, let run, let round, let detail):
            "\(path): the checkpoint of run \(run), round \(round) is damaged (\(detail))"
        case .database(let path, let operation, let detail):
            "\(path): \(operation) failed: \(detail)"
        }
    }

    /// Translates an error thrown while `operation` ran into a `StoreError` about `path`.
    ///
    /// Errors that already are `StoreError`s pass through, so that nested helpers can all wrap.
    static func wrap(_ error: any Error, path: String, operation: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return .database(path: path, operation: operation, detail: String(describing: error))
        }
        let detail = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return .notSQLite(path: path, detail: detail)
        case .SQLITE_CORRUPT:
            return .notSQLite(path: path, detail: "damaged: \(detail)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .locked(path: path, detail: "\(operation): \(detail)")
        case .SQLITE_READONLY:
            return .readOnly(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return .cannotOpen(path: path, detail: detail)
        default:
            return .database(path: path, operation: operation, detail: detail)
        }
    }
}

/// Runs `body`, turning any error it throws into a `StoreError` about `path`.
func withStoreErrors<Result>(path: String, operation: String, _ body: () throws -> Result) throws(StoreError)
    -> Result
{
    do {
        return try body()
    } catch {
        throw StoreError.wrap(error, path: path, operation: operation)
    }
}
