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

/// Why a topology was refused: every mistake found, in the order they appear in the file.
public struct TopologyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mistakes, sorted by line and column.
    public let diagnostics: [Diagnostic]

    /// Creates an error from `diagnostics`, sorting them by position.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted {
            ($0.line, $0.column, $0.path, $0.message) < ($1.line, $1.column, $1.path, $1.message)
        }
    }

    /// One diagnostic a line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
