import Foundation

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

extension KeyFolder {
    /// Writes a coordinator key pair, one key pair per host and the allow-list binding them.
    ///
    /// - Parameters:
    ///   - hostIDs: the hosts, each a valid host id (`HostIdentity`), none twice.
    ///   - force: replace key files that exist; without it, existing files make the call fail
    ///     before anything is written.
    /// - Returns: the allow-list written.
    @discardableResult
    public func generate(hostIDs: [String], force: Bool) throws(WireSecurityError) -> HostAllowList {
        guard !hostIDs.isEmpty else { throw WireSecurityError.hostID("", reason: "no host ids given") }
        for id in hostIDs { try HostIdentity.validate(id) }
        if let repeated = Dictionary(grouping: hostIDs, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw WireSecurityError.hostID(repeated, reason: "is given twice")
        }
        try CurveSupport.check()
        let targets =
            [coordinatorSecretPath, coordinatorPublicPath, allowListPath]
            + hostIDs.flatMap { [hostSecretPath($0), hostPublicPath($0)] }
        let existing = targets.filter { FileManager.default.fileExists(atPath: $0) }
        guard force || existing.isEmpty else { throw WireSecurityError.wouldOverwrite(paths: existing) }

        try Self.makePrivateFolder(path)
        try Self.makePrivateFolder(hostsPath)
        let coordinator = try CurveKeyPair.generate()
        try Self.write(coordinator.secretKey.text + "\n", to: coordinatorSecretPath, mode: 0o600)
        try Self.write(coordinator.publicKey.text + "\n", to: coordinatorPublicPath, mode: 0o644)
        var entries: [HostAllowList.Entry] = []
        for id in hostIDs {
            let pair = try CurveKeyPair.generate()
            try Self.write(pair.secretKey.text + "\n", to: hostSecretPath(id), mode: 0o600)
            try Self.write(pair.publicKey.text + "\n", to: hostPublicPath(id), mode: 0o644)
            entries.append(HostAllowList.Entry(hostID: id, publicKey: pair.publicKey))
        }
        let allowList = try HostAllowList(entries)
        try Self.write(allowList.text, to: allowListPath, mode: 0o644)
        return allowList
    }

    /// Creates a folder (and its parents) and makes it private to its owner.
    static func makePrivateFolder(_ folder: String) throws(WireSecurityError) {
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw WireSecurityError.keyFile(
                path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        guard chmod(folder, 0o700) == 0 else {
            throw WireSecurityError.keyFile(
                path: folder, reason: "cannot chmod 700: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes a new file with exactly `mode`, replacing one that exists.
    ///
    /// The file is created with `O_EXCL` and its mode set before the first byte goes in, so a
    /// secret is never readable by others, whatever the umask or an older file's mode.
    static func write(_ text: String, to file: String, mode: mode_t) throws(WireSecurityError) {
        func failure(_ action: String) -> WireSecurityError {
            .keyFile(path: file, reason: "cannot \(action): \(String(cString: strerror(errno)))")
        }
        if unlink(file) != 0 && errno != ENOENT { throw failure("replace it") }
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure("create it") }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw failure("set its mode") }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure("write it") }
            written += count
        }
    }
}

/// POSIX `write`, which the extension's own `write` would otherwise hide.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}
