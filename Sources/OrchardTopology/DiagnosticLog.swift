import Yams

/// Collects the mistakes found while a topology is read, and remembers where each value was
/// written so that checks made later, across sections, can still point at the right line.
final class DiagnosticLog {
    /// The file as named to the loader.
    let file: String
    /// Every mistake so far.
    private(set) var diagnostics: [Diagnostic] = []
    /// The position of each value read, by key path.
    private var marks: [String: Mark] = [:]

    init(file: String) { self.file = file }

    /// Remembers where the value at `path` was written.
    func note(_ node: Node, at path: String) {
        if let mark = node.mark { marks[path] = mark }
    }

    /// Whether a value was written at `path`.
    func wasWritten(_ path: String) -> Bool { marks[path] != nil }

    /// Whether a mistake was already recorded about the value at `path`.
    func hasDiagnostic(at path: String) -> Bool { diagnostics.contains { $0.path == path } }

    /// Records a mistake at `mark`.
    func report(_ message: String, at mark: Mark?, path: String) {
        diagnostics.append(
            Diagnostic(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, path: path, message: message))
    }

    /// Records a mistake about the value at `path`, placed where it was written or, for a value
    /// left to its default, where its closest written parent was.
    func report(_ message: String, path: String) {
        var ancestor = path
        while marks[ancestor] == nil, !ancestor.isEmpty { ancestor = KeyPath.parent(of: ancestor) }
        report(message, at: marks[ancestor], path: path)
    }
}

/// Key paths as diagnostics write them: `groups[1].link.up`.
enum KeyPath {
    /// `parent.key`, or `key` at the top.
    static func child(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : parent + "." + key }

    /// `parent[index]`.
    static func element(_ parent: String, _ index: Int) -> String { "\(parent)[\(index)]" }

    /// The path one level up: `groups[1].link` for `groups[1].link.up`, `groups` for `groups[1]`.
    static func parent(of path: String) -> String {
        guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "" }
        return String(path[..<cut])
    }
}

/// A range a number must lie in, with the words that explain it.
enum Bound {
    /// Any number (numbers are always finite here).
    case finite
    /// More than zero.
    case positive
    /// Zero or more.
    case nonNegative
    /// In (0, 1]: more than 0%, at most 100%.
    case fraction
    /// In [0, 1).
    case belowOne
    /// In (0, 1).
    case strictlyBetweenZeroAndOne
    /// In [0, 0.5): at least 0% and less than 50%.
    case belowHalf

    /// Whether `value` lies in the range.
    func contains(_ value: Double) -> Bool {
        switch self {
        case .finite: return value.isFinite
        case .positive: return value > 0
        case .nonNegative: return value >= 0
        case .fraction: return value > 0 && value <= 1
        case .belowOne: return value >= 0 && value < 1
        case .strictlyBetweenZeroAndOne: return value > 0 && value < 1
        case .belowHalf: return value >= 0 && value < 0.5
        }
    }

    /// What the range requires, as the end of "must ...".
    var requirement: String {
        switch self {
        case .finite: return "be a finite number"
        case .positive: return "be more than zero"
        case .nonNegative: return "be zero or more"
        case .fraction: return "lie in (0, 1], that is more than 0% and at most 100%"
        case .belowOne: return "lie in [0, 1)"
        case .strictlyBetweenZeroAndOne: return "lie strictly between 0 and 1"
        case .belowHalf: return "lie in [0, 0.5), that is at least 0% and less than 50%"
        }
    }
}
