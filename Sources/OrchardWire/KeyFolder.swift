import Foundation

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// A folder of CurveZMQ keys for one coordinator and its hosts, as `orchard keys generate` writes it.
///
/// ```
/// DIR/                  0700
///   coordinator.key     0600  the coordinator's secret key (Z85, one line)
///   coordinator.pub     0644  its public key, which every host needs
///   allowed-hosts       0644  one "HOST-ID PUBLIC-KEY" line per host
///   hosts/              0700
///     ID.key            0600  host ID's secret key
///     ID.pub            0644  its public key
/// ```
///
/// A coordinator reads `coordinator.key` and `allowed-hosts`; a client host reads only
/// `hosts/ID.key` and `coordinator.pub`, the two files its machine needs. Secret files readable or
/// writable by anyone but their owner are refused.
public struct KeyFolder: Sendable {
    /// The folder.
    public let path: String

    public init(path: String) { self.path = path }

    public var coordinatorSecretPath: String { path + "/coordinator.key" }
    public var coordinatorPublicPath: String { path + "/coordinator.pub" }
    public var allowListPath: String { path + "/allowed-hosts" }
    public var hostsPath: String { path + "/hosts" }
    public func hostSecretPath(_ hostID: String) -> String { hostsPath + "/\(hostID).key" }
    public func hostPublicPath(_ hostID: String) -> String { hostsPath + "/\(hostID).pub" }

    /// The largest key or allow-list file read, so that a wrong path cannot make a reader swallow a disk.
    static let maximumFileBytes = 1 << 20

    // MARK: Reading

    /// The coordinator's setting: its secret key and the allow-list.
    public func serverSecurity() throws(WireSecurityError) -> WireSecurity {
        try CurveSupport.check()
        let secretKey = try Self.readKey(at: coordinatorSecretPath, secret: true)
        let text = try Self.readText(at: allowListPath, secret: false)
        let allowList = try HostAllowList.parse(text, path: allowListPath)
        return .curveServer(secretKey: secretKey, allowList: allowList)
    }

    /// Host `hostID`'s setting: its key pair and the coordinator's public key.
    public func clientSecurity(hostID: String) throws(WireSecurityError) -> WireSecurity {
        try CurveSupport.check()
        try HostIdentity.validate(hostID)
        let secretKey = try Self.readKey(at: hostSecretPath(hostID), secret: true)
        let serverKey = try Self.readKey(at: coordinatorPublicPath, secret: false)
        return .curveClient(keyPair: try CurveKeyPair(secretKey: secretKey), serverKey: serverKey)
    }

    /// Reads a key file: one line of 40 Z85 characters; a secret one must be private to its owner.
    public static func readKey(at path: String, secret: Bool) throws(WireSecurityError) -> CurveKey {
        let text = try readText(at: path, secret: secret)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let key = CurveKey(text: trimmed) else {
            // A secret file's content is never echoed.
            throw WireSecurityError.keyFile(
                path: path,
                reason: "not a CurveZMQ \(secret ? "secret" : "public") key: expected one line of "
                    + "\(CurveKey.textLength) Z85 characters, found \(trimmed.count) characters")
        }
        return key
    }

    /// Reads a small text file, checking first that it is a regular file and, if secret, private.
    static func readText(at path: String, secret: Bool) throws(WireSecurityError) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw WireSecurityError.keyFile(path: path, reason: "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw WireSecurityError.keyFile(path: path, reason: "is not a regular file")
        }
        let permissions = status.st_mode & 0o777
        if secret && permissions & 0o077 != 0 {
            throw WireSecurityError.keyFile(
                path: path,
                reason: "is a secret key open to group or others (mode \(String(permissions, radix: 8))); "
                    + "run chmod 600 \(path)")
        }
        guard status.st_size <= maximumFileBytes else {
            throw WireSecurityError.keyFile(path: path, reason: "is larger than \(maximumFileBytes) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WireSecurityError.keyFile(path: path, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WireSecurityError.keyFile(path: path, reason: "is not UTF-8 text")
        }
        return text
    }
}
