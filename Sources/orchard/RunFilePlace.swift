import Foundation
import OrchardRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The place of a run file named by `--db`: its folder made, with an error that names the path and
/// the reason when it cannot be, and what a refused run made removed again.
struct RunFilePlace {
    /// The run file's path, as given.
    let database: String
    /// Whether the run file existed before the run (a resumed run's file stays whatever happens).
    let fileExisted: Bool
    /// The folders made for the run file, innermost last.
    private(set) var createdFolders: [String] = []

    /// Makes the folders of `database` that do not exist yet and checks that its folder is writable.
    /// - Throws: `RuntimeError` naming `option`, the path and the reason: a file where a folder
    ///   should be, no permission, a read-only file system, and so on.
    init(_ database: String, option: String = "--db") throws {
        self.database = database
        var isFolder: ObjCBool = false
        fileExisted = FileManager.default.fileExists(atPath: database, isDirectory: &isFolder)
        func refuse(_ reason: String) -> RuntimeError { RuntimeError("\(option) \(database): \(reason)") }
        if fileExisted && isFolder.boolValue { throw refuse("is a folder, not a run file") }
        let folder = URL(fileURLWithPath: database).deletingLastPathComponent().path
        var prefix = ""
        for component in folder.split(separator: "/") {
            prefix += "/" + component
            if FileManager.default.fileExists(atPath: prefix, isDirectory: &isFolder) {
                guard isFolder.boolValue else { throw refuse("\(prefix) is a file, not a folder") }
                continue
            }
            guard mkdir(prefix, 0o777) == 0 || errno == EEXIST else {
                let reason = String(cString: strerror(errno))
                discard()
                throw refuse("cannot create the folder \(prefix): \(reason)")
            }
            createdFolders.append(prefix)
        }
        guard access(folder.isEmpty ? "/" : folder, W_OK | X_OK) == 0 else {
            throw refuse("cannot write in the folder \(folder): \(String(cString: strerror(errno)))")
        }
    }

    /// The value of `start`, or, when it throws (the run refused before it started), its error
    /// after `discard()`.
    func removingIfRefused<Value>(_ start: () throws -> Value) throws -> Value {
        do {
            return try start()
        } catch {
            discard()
            throw error
        }
    }

    /// Removes what a run that was refused before it started left: the run file it created (with
    /// its SQLite companions and lock file) and the folders made for it, if they are empty.
    func discard() {
        if !fileExisted {
            for suffix in ["", "-wal", "-shm", "-journal", "-lock"] { unlink(database + suffix) }
        }
        for folder in createdFolders.reversed() { rmdir(folder) }
    }
}
