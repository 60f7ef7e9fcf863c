import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The exclusive right to write one store file, held by one process at a time.
///
/// SQLite alone would let two coordinators interleave their rounds in one file; this lock makes the
/// second writer fail at once with a clear error instead. It is a `flock` on a side file,
/// `<database>-lock`, holding the owner's process id. The kernel drops the lock when the process
/// exits in any way (kill -9 included), so a crashed coordinator never leaves the file locked. A
/// side file rather than the database itself, because closing any descriptor of the database
/// would drop SQLite's own POSIX locks held by the same process.
final class WriterLock: Sendable {
    /// The side file's path.
    let lockPath: String
    /// The open descriptor holding the lock, or -1 once released.
    private let descriptor: Mutex<Int32>

    private init(lockPath: String, descriptor: Int32) {
        self.lockPath = lockPath
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Takes the lock of the database at `databasePath`, failing at once if another holder has it.
    static func acquire(for databasePath: String) throws(StoreError) -> WriterLock {
        let lockPath = databasePath + "-lock"
        // The previous holder unlinks the file as it releases; a descriptor opened just before
        // that names a dead file, so the lock must be retaken on the file the path names now.
        for _ in 0..<16 {
            let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw .cannotOpen(path: databasePath, detail: "cannot create its lock file \(lockPath): \(errorText())")
            }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                let holder = String(readText(descriptor).filter(\.isNumber))
                close(descriptor)
                if code == EWOULDBLOCK {
                    let who = holder.isEmpty ? "another process" : "process \(holder)"
                    throw .locked(path: databasePath, detail: "\(who) is writing it (lock file \(lockPath))")
                }
                throw .cannotOpen(path: databasePath, detail: "cannot lock \(lockPath): \(errorText(code))")
            }
            var held = stat()
            var named = stat()
            if fstat(descriptor, &held) == 0, stat(lockPath, &named) == 0, held.st_ino == named.st_ino,
                held.st_dev == named.st_dev
            {
                let owner = Array("\(getpid())\n".utf8)
                _ = ftruncate(descriptor, 0)
                _ = owner.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
                return WriterLock(lockPath: lockPath, descriptor: descriptor)
            }
            close(descriptor)
        }
        throw .locked(path: databasePath, detail: "its lock file \(lockPath) keeps being replaced")
    }

    /// Gives the lock up and removes the side file; later calls do nothing.
    func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            // Unlink while still holding the lock, so that nobody can lock the old file and
            // believe it owns the path.
            unlink(lockPath)
            close(descriptor)
            descriptor = -1
        }
    }
}

/// The first bytes of the file open at `descriptor`, as text.
private func readText(_ descriptor: Int32) -> String {
    var bytes = [UInt8](repeating: 0, count: 32)
    let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
    return count > 0 ? String(decoding: bytes.prefix(count), as: UTF8.self) : ""
}

/// The text of an `errno` value.
private func errorText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
