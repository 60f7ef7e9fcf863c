/// Why CurveZMQ security could not be set up: no CURVE in libzmq, or a key file that is wrong.
///
/// Every case names what is wrong and where (the file, and the line of an allow-list), so that a
/// person can fix it without reading code.
public enum WireSecurityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libzmq cannot do CURVE.
    case curveUnavailable(detail: String)
    /// A key file or folder is missing, malformed or unsafe.
    case keyFile(path: String, reason: String)
    /// A line of an allow-list is malformed.
    case allowList(path: String, line: Int, reason: String)
    /// A host id cannot be used (empty, whitespace, a slash, too long, repeated).
    case hostID(String, reason: String)
    /// Key files exist where new ones would be written.
    case wouldOverwrite(paths: [String])

    public var description: String {
        switch self {
        case .curveUnavailable(let detail):
            "CurveZMQ is not available: \(detail)"
        case .keyFile(let path, let reason):
            "\(path): \(reason)"
        case .allowList(let path, let line, let reason):
            "\(path):\(line): \(reason)"
        case .hostID(let id, let reason):
            "host id '\(id)': \(reason)"
        case .wouldOverwrite(let paths):
            "key files already exist (\(paths.joined(separator: ", "))); pass --force to replace them"
        }
    }
}
