import Yams

/// Collects the mistakes found while a topology is read, and remembers where each value was
/// written so that checks made later, across sections, can still point at the right line.
///
/// It keeps the `limit` earliest mistakes in the file and counts the rest, so that a file of
/// half a million unknown keys costs neither memory nor time for diagnostics nobody will read.
final class DiagnosticLog {
    /// The number of mistakes kept (the earliest in the file); the rest are only counted.
    static let defaultLimit = 50

    /// The file as named to the loader.
    let file: String
    /// The most mistakes kept.
    let limit: Int
    /// Every mistake found, kept or not.
    private(set) var count = 0
    /// The kept mistakes, in no order, sometimes up to twice `limit` before `trim()`.
    private var kept: [Diagnostic] = []
    /// The key paths of every mistake found.
    private var reportedPaths: Set<String> = []
    /// The position of each value read, by key path.
    private var marks: [String: Mark] = [:]

    init(file: String, limit: Int = DiagnosticLog.defaultLimit) {
        self.file = file
        self.limit = max(1, limit)
    }

    /// The earliest `limit` mistakes, sorted by position.
    var diagnostics: [Diagnostic] {
        Array(kept.sorted(by: Diagnostic.precedes).prefix(limit))
    }

    /// How many mistakes were found but not kept.
    var omitted: Int { count - min(count, limit) }

    /// Everything found, as the error a loader throws.
    var error: TopologyError { TopologyError(diagnostics, omitted: omitted) }

    /// Remembers where the value at `path` was written.
    func note(_ node: Node, at path: String) {
        if let mark = node.mark { marks[path] = mark }
    }

    /// Whether a value was written at `path`.
    func wasWritten(_ path: String) -> Bool { marks[path] != nil }

    /// Whether a mistake was already recorded about the value at `path`.
    func hasDiagnostic(at path: String) -> Bool { reportedPaths.contains(path) }

    /// Records a mistake at `mark`; the message is only made when the mistake is kept.
    func report(_ message: @autoclosure () -> String, at mark: Mark?, path: String) {
        count += 1
        reportedPaths.insert(path)
        let line = mark?.line ?? 0
        let column = mark?.column ?? 0
        // Past the limit, a mistake later in the file than every kept one would be dropped anyway.
        if kept.count >= limit, let last = latestKept, (last.line, last.column) < (line, column) { return }
        kept.append(Diagnostic(file: file, line: line, column: column, path: path, message: message()))
        if kept.count >= 2 * limit { trim() }
    }

    /// Records a mistake about the value at `path`, placed where it was written or, for a value
    /// left to its default, where its closest written parent was.
    func report(_ message: @autoclosure () -> String, path: String) {
        var ancestor = path
        while marks[ancestor] == nil, !ancestor.isEmpty { ancestor = KeyPath.parent(of: ancestor) }
        report(message(), at: marks[ancestor], path: path)
    }

    /// The latest of the kept mistakes once trimmed to the limit, which later ones cannot displace.
    private var latestKept: Diagnostic?

    /// Keeps the earliest `limit` mistakes.
    private func trim() {
        kept = diagnostics
        latestKept = kept.last
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
