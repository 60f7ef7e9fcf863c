import Yams

/// One `--set KEY.PATH=VALUE` change to a topology, applied to its YAML tree before it is checked.
///
/// The path is written as diagnostics write key paths: keys joined by dots, list entries by their
/// index from 0 in brackets (`groups[1].link.up`). The value is YAML, read as a document of its
/// own: a scalar such as `10%`, `0.5` or `fedtiny`, or a flow collection such as `[a, b]` or
/// `{name: fedavg}`, which replaces the whole value at the path.
public struct TopologyOverride: Sendable, Hashable, CustomStringConvertible {
    /// One step of a key path.
    public enum Step: Sendable, Hashable {
        /// A key of a mapping.
        case key(String)
        /// An entry of a list, counted from 0.
        case index(Int)
    }

    /// The steps from the top of the topology to the value that changes.
    public let steps: [Step]
    /// The value's YAML text, as written.
    public let value: String

    /// Creates an override of the value at `steps`.
    public init(steps: [Step], value: String) {
        self.steps = steps
        self.value = value
    }

    /// Reads `KEY.PATH=VALUE`, as given to `--set`.
    /// - Throws: `TopologyError` naming the argument when it has no `=` or its path is malformed.
    public init(parsing argument: String) throws(TopologyError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw Self.failure(argument, "expected KEY.PATH=VALUE, such as method.density=5%")
        }
        let pathText = String(argument[..<equals])
        guard let steps = Self.steps(pathText) else {
            throw Self.failure(
                argument,
                "'\(pathText)' is not a key path: write keys joined by dots and list entries as [N], "
                    + "such as groups[1].link.up")
        }
        self.init(steps: steps, value: String(argument[argument.index(after: equals)...]))
    }

    /// The key path as diagnostics write it: `groups[1].link.up`.
    public var path: String { Self.path(of: steps[...]) }

    /// `KEY.PATH=VALUE`, as it would be given to `--set`.
    public var argument: String { "\(path)=\(value)" }

    /// `--set KEY.PATH=VALUE`: what diagnostics about the override name as their file.
    public var description: String { "--set \(argument)" }

    /// The key path of `steps`.
    static func path(of steps: ArraySlice<Step>) -> String {
        steps.reduce("") { path, step in
            switch step {
            case .key(let key): return KeyPath.child(path, key)
            case .index(let index): return KeyPath.element(path, index)
            }
        }
    }

    /// The steps of `text`, or nil when it is empty or malformed (`a..b`, `a[x]`, `[0]`).
    static func steps(_ text: String) -> [Step]? {
        var steps: [Step] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            guard let keyEnd = rest.firstIndex(where: { $0 == "[" || $0 == "]" }) ?? Optional(rest.endIndex),
                keyEnd > rest.startIndex
            else { return nil }
            steps.append(.key(String(rest[..<keyEnd])))
            rest = rest[keyEnd...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]"),
                    let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0
                else { return nil }
                steps.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        return steps.isEmpty ? nil : steps
    }

    /// A refusal of the override `argument` as a whole.
    static func failure(_ argument: String, _ message: String) -> TopologyError {
        TopologyError([Diagnostic(file: "--set \(argument)", line: 0, column: 0, path: "", message: message)])
    }
}

/// A topology's YAML tree with overrides applied, and which part of it each override owns.
struct OverriddenTree {
    /// The tree after every override.
    var document: Node
    /// For each override, the shortest key path whose value it wrote or created: diagnostics at
    /// or below it concern the override, not the file.
    var owned: [(path: String, override: TopologyOverride)] = []
    /// Mistakes in the overrides themselves: a value that is not YAML, a path through a scalar.
    var diagnostics: [Diagnostic] = []

    /// Applies `overrides` to `document`, in order, so that a later one wins over an earlier one.
    init(_ document: Node, overrides: [TopologyOverride]) {
        self.document = document
        for override in overrides { apply(override) }
    }

    /// `diagnostic`, named after the override that owns its path when one does.
    func attributed(_ diagnostic: Diagnostic) -> Diagnostic {
        guard
            let owner = owned.last(where: { entry in
                diagnostic.path == entry.path || diagnostic.path.hasPrefix(entry.path + ".")
                    || diagnostic.path.hasPrefix(entry.path + "[")
            })
        else { return diagnostic }
        return Diagnostic(
            file: owner.override.description, line: 0, column: 0, path: diagnostic.path, message: diagnostic.message)
    }

    private mutating func apply(_ override: TopologyOverride) {
        let value: Node
        do {
            value = try Yams.compose(yaml: override.value) ?? Node("", .implicit)
        } catch {
            diagnostics.append(Self.diagnostic(override, path: override.path, "the value is not valid YAML: \(error)"))
            return
        }
        var created: String?
        do {
            document = try Self.replacing(document, at: override.steps[...], with: value, created: &created)
            owned.append((created ?? override.path, override))
        } catch {
            diagnostics.append(Self.diagnostic(override, path: error.path, error.message))
        }
    }

    /// Why an override cannot reach its path.
    struct Unreachable: Error {
        let path: String
        let message: String
    }

    /// `node` with the value at `steps` replaced by `value`, creating the mappings on the way
    /// that do not exist; `created` is set to the first path that did not exist.
    private static func replacing(
        _ node: Node, at steps: ArraySlice<Step>, with value: Node, walked: ArraySlice<Step> = [],
        created: inout String?
    ) throws(Unreachable) -> Node {
        guard let step = steps.first else { return value }
        let here = TopologyOverride.path(of: walked)
        let next = walked + [step]
        switch (step, expanded(node, at: here)) {
        case (.key(let key), .mapping(var mapping)):
            let existing = mapping[key]
            if existing == nil, created == nil { created = TopologyOverride.path(of: next) }
            let child = existing ?? Node([(Node, Node)]())
            mapping[key] = try replacing(child, at: steps.dropFirst(), with: value, walked: next, created: &created)
            return .mapping(mapping)
        case (.index(let index), .sequence(var sequence)):
            guard index < sequence.count else {
                throw Unreachable(
                    path: here,
                    message: "has \(sequence.count) entr\(sequence.count == 1 ? "y" : "ies"); there is no [\(index)]")
            }
            sequence[index] = try replacing(
                sequence[index], at: steps.dropFirst(), with: value, walked: next, created: &created)
            return .sequence(sequence)
        case (.key, let other):
            if DiagnosticLog.isNull(other) {
                return try replacing(
                    Node([(Node, Node)]()), at: steps, with: value, walked: walked, created: &created)
            }
            throw Unreachable(path: here, message: "is \(DiagnosticLog.describe(other)), not a mapping of keys")
        case (.index, let other):
            throw Unreachable(path: here, message: "is \(DiagnosticLog.describe(other)), not a list")
        }
    }

    private typealias Step = TopologyOverride.Step

    /// `node`, written as its section's shorthand (`method: fedavg`), as the mapping it stands for
    /// (`{name: fedavg}`), so that a key of the section can be set.
    private static func expanded(_ node: Node, at path: String) -> Node {
        guard case .scalar(let scalar) = node, !DiagnosticLog.isNull(node),
            let key = TopologyParser.shorthandKeys[path]
        else { return node }
        return .mapping(Node.Mapping([(Node(key), .scalar(scalar))], .implicit, .any, scalar.mark))
    }

    private static func diagnostic(_ override: TopologyOverride, path: String, _ message: String) -> Diagnostic {
        Diagnostic(file: override.description, line: 0, column: 0, path: path, message: message)
    }
}

extension Node {
    /// The node and its children without anchors, so that a tree whose aliases were resolved into
    /// copies is written out once per copy rather than with repeated anchors.
    var withoutAnchors: Node {
        switch self {
        case .scalar(var scalar):
            scalar.anchor = nil
            return .scalar(scalar)
        case .mapping(let mapping):
            let pairs = mapping.map { ($0.key.withoutAnchors, $0.value.withoutAnchors) }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(\.withoutAnchors), sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return self
        }
    }
}
