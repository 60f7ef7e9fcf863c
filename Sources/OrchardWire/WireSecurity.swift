/// How a protocol socket authenticates and encrypts: not at all, or CurveZMQ.
///
/// `WireSocketSettings.security` carries it to the socket factories. A CURVE server also runs a
/// ZAP handler (`ZAPHandler`) that admits only the keys of its allow-list, each under the host id
/// the list binds it to.
public enum WireSecurity: Sendable, Equatable {
    /// ZeroMQ's NULL mechanism: anyone who reaches the endpoint can talk, nothing is encrypted.
    case insecure
    /// The coordinator's side: its secret key and the hosts it admits.
    case curveServer(secretKey: CurveKey, allowList: HostAllowList)
    /// A client host's side: its own key pair and the coordinator's public key.
    case curveClient(keyPair: CurveKeyPair, serverKey: CurveKey)

    /// Whether the setting is CURVE, on either side.
    public var isCurve: Bool {
        if case .insecure = self { return false }
        return true
    }
}

/// The hosts a CURVE coordinator admits: each host id bound to one public key, each key to one id.
public struct HostAllowList: Sendable, Equatable {
    /// The entries in their order in the file.
    public let entries: [Entry]
    private let hostOfKey: [CurveKey: String]

    /// One host id and its public key.
    public struct Entry: Sendable, Equatable {
        public let hostID: String
        public let publicKey: CurveKey

        public init(hostID: String, publicKey: CurveKey) {
            self.hostID = hostID
            self.publicKey = publicKey
        }
    }

    /// Makes a list; every host id must be valid and appear once, and every key once.
    public init(_ entries: [Entry]) throws(WireSecurityError) {
        var hostOfKey: [CurveKey: String] = [:]
        var seen = Set<String>()
        for entry in entries {
            try HostIdentity.validate(entry.hostID)
            guard seen.insert(entry.hostID).inserted else {
                throw WireSecurityError.hostID(entry.hostID, reason: "appears twice")
            }
            if let other = hostOfKey[entry.publicKey] {
                throw WireSecurityError.hostID(
                    entry.hostID, reason: "has the same public key as '\(other)'; every host needs its own key")
            }
            hostOfKey[entry.publicKey] = entry.hostID
        }
        self.entries = entries
        self.hostOfKey = hostOfKey
    }

    /// The host id bound to `key`, or `nil` when the key is not listed.
    public func hostID(of key: CurveKey) -> String? { hostOfKey[key] }

    /// The list as its file holds it: one `HOST-ID Z85-PUBLIC-KEY` line per host.
    public var text: String {
        entries.map { "\($0.hostID) \($0.publicKey.text)\n" }.joined()
    }

    /// Reads the lines of an allow-list file; blank lines and lines starting with `#` are skipped.
    ///
    /// - Throws: `WireSecurityError.allowList` naming `path` and the line of the first mistake.
    public static func parse(_ text: String, path: String) throws(WireSecurityError) -> HostAllowList {
        var entries: [Entry] = []
        var lineOfHost: [String: Int] = [:]
        var lineOfKey: [CurveKey: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            guard fields.count == 2 else {
                throw WireSecurityError.allowList(
                    path: path, line: number,
                    reason: "expected 'HOST-ID PUBLIC-KEY' (two fields), found \(fields.count) fields")
            }
            do {
                try HostIdentity.validate(first)
            } catch {
                throw WireSecurityError.allowList(path: path, line: number, reason: error.description)
            }
            guard let key = CurveKey(text: fields[1]) else {
                throw WireSecurityError.allowList(
                    path: path, line: number,
                    reason: "'\(fields[1])' is not a CurveZMQ public key (40 Z85 characters)")
            }
            if let earlier = lineOfHost[first] {
                throw WireSecurityError.allowList(
                    path: path, line: number, reason: "host id '\(first)' is already listed on line \(earlier)")
            }
            if let earlier = lineOfKey[key] {
                throw WireSecurityError.allowList(
                    path: path, line: number, reason: "this key is already listed on line \(earlier)")
            }
            lineOfHost[first] = number
            lineOfKey[key] = number
            entries.append(Entry(hostID: first, publicKey: key))
        }
        guard !entries.isEmpty else {
            throw WireSecurityError.keyFile(path: path, reason: "the allow-list names no host")
        }
        return try HostAllowList(entries)
    }
}

/// The rules for a host id, which is a routing id, a file name and an allow-list field at once.
public enum HostIdentity {
    /// The most bytes a ZeroMQ routing id can have.
    public static let maximumBytes = 255

    /// Checks an id: 1 to 255 bytes of UTF-8, no whitespace, no control character, no slash.
    public static func validate(_ id: String) throws(WireSecurityError) {
        guard !id.isEmpty else { throw WireSecurityError.hostID(id, reason: "is empty") }
        guard id.utf8.count <= maximumBytes else {
            throw WireSecurityError.hostID(id, reason: "is longer than \(maximumBytes) bytes")
        }
        for scalar in id.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                throw WireSecurityError.hostID(id, reason: "contains whitespace or a control character")
            }
            if scalar == "/" || scalar == "\\" {
                throw WireSecurityError.hostID(id, reason: "contains a slash")
            }
        }
        guard id != "." && id != ".." else {
            throw WireSecurityError.hostID(id, reason: "is not a usable file name")
        }
    }
}
