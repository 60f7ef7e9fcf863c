/// One mistake in a topology file: where it is, which key it concerns, and what is wrong.
///
/// The description reads like a compiler's, so that editors and terminals can jump to it:
/// `topologies/x.yaml:12:9: groups[1].link.up: '5Mbs' is not a bit rate; did you mean 5Mbps? ...`.
public struct Diagnostic: Error, Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The topology file as it was named to the loader.
    public let file: String
    /// The line, counted from 1; 0 when the mistake concerns the whole file (it cannot be read).
    public let line: Int
    /// The column, counted from 1 in Unicode scalars, as libyaml counts; 0 with `line`.
    public let column: Int
    /// The key path, such as `groups[1].link.up`, with list indices counted from 0; empty for the
    /// document as a whole.
    public let path: String
    /// What is wrong and, where it helps, what was expected or what to write instead.
    public let message: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// `file:line:column: path: message`, leaving out the position or the path when there is none.
    public var description: String {
        let position = line > 0 ? "\(file):\(line):\(column)" : file
        return path.isEmpty ? "\(position): \(message)" : "\(position): \(path): \(message)"
    }
}

extension Diagnostic {
    /// Whether `first` comes before `second` in the file: by line, column, then path and message.
    public static func precedes(_ first: Diagnostic, _ second: Diagnostic) -> Bool {
        (first.line, first.column, first.path, first.message) < (
            second.line, second.column, second.path, second.message
        )
    }
}

/// Why a topology was refused: the mistakes found, in the order they appear in the file.
///
/// A file with very many mistakes gives the earliest ones and the number left out (`omitted`).
public struct TopologyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mistakes, sorted by line and column.
    public let diagnostics: [Diagnostic]
    /// How many more mistakes were found than `diagnostics` holds.
    public let omitted: Int

    /// Creates an error from `diagnostics`, sorting them by position, and a count of others left out.
    public init(_ diagnostics: [Diagnostic], omitted: Int = 0) {
        self.diagnostics = diagnostics.sorted(by: Diagnostic.precedes)
        self.omitted = omitted
    }

    /// Every mistake found, shown or not.
    public var count: Int { diagnostics.count + omitted }

    /// One diagnostic a line, then `... and N more mistakes` when some were left out.
    public var lines: [String] {
        diagnostics.map(\.description)
            + (omitted > 0 ? ["... and \(omitted) more mistake\(omitted == 1 ? "" : "s")"] : [])
    }

    /// `lines`, joined.
    public var description: String { lines.joined(separator: "\n") }
}
