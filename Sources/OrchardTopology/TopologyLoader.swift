import Foundation
import OrchardFederation
import Yams

/// Reads a topology file, checks everything in it, and returns the run it describes.
///
/// Every mistake is reported, not only the first: unknown keys (with the closest known one),
/// values of the wrong type or out of range, missing required keys, quantities with bad units, a
/// data folder without its files, a model that does not fit the data, and memory budgets too
/// small for the model. Each comes with the file, line, column and key path; see `Diagnostic`.
public struct TopologyLoader: Sendable {
    /// The folder that relative data paths resolve against: the repository root.
    public var root: String
    /// Whether to check that a real data set's files exist; tests of topology files that name
    /// MNIST turn it off, or point `root` at a folder of empty stand-ins.
    public var checksDataFiles: Bool
    /// The methods a topology may name.
    public var methods: MethodRegistry

    /// Creates a loader resolving data paths against `root` (itself relative to the current folder).
    public init(root: String, checksDataFiles: Bool = true, methods: MethodRegistry = .standard) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.checksDataFiles = checksDataFiles
        self.methods = methods
    }

    /// The largest topology file read, far above any real one (the shipped ones are a few KiB), so
    /// that a wrong file given as a topology costs neither minutes nor gigabytes.
    public static let maximumFileSize = 1 << 20

    /// Reads the topology in `file` (relative to the current folder), applies `overrides` in order,
    /// and checks the result.
    ///
    /// With overrides, the plan's `source` is the topology as changed, so that a run records what
    /// it ran; mistakes in an overridden value name the override rather than the file.
    /// - Throws: `TopologyError` with every mistake found, or the reason the file cannot be read.
    public func load(file: String, overrides: [TopologyOverride] = []) throws(TopologyError) -> RunPlan {
        let data: Data
        do {
            let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
            guard size <= Self.maximumFileSize else {
                throw TopologyError([
                    Diagnostic(
                        file: file, line: 0, column: 0, path: "",
                        message:
                            "the file is \(size) bytes, more than the \(Self.maximumFileSize / 1_048_576) MiB a topology may have "
                            + "(a topology describes groups of clients, not each client)")
                ])
            }
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch let error as TopologyError {
            throw error
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read" : "no such file"
            throw TopologyError([Diagnostic(file: file, line: 0, column: 0, path: "", message: reason)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TopologyError([Self.notUTF8(data, file: file)])
        }
        return try load(text: text, file: file, overrides: overrides)
    }

    /// Checks the topology `text` with `overrides` applied, naming it `file` in diagnostics.
    /// - Throws: `TopologyError` with every mistake found.
    public func load(text: String, file: String, overrides: [TopologyOverride] = []) throws(TopologyError)
        -> RunPlan
    {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw TopologyError([Self.diagnostic(for: error, file: file, text: text)])
        }
        guard let document, !DiagnosticLog.isNull(document) else {
            throw TopologyError([
                Diagnostic(
                    file: file, line: 1, column: 1, path: "",
                    message: "the topology is empty; it needs at least name, rounds, dataset, model and groups")
            ])
        }
        guard !overrides.isEmpty else { return try plan(document, source: text, file: file) }
        let tree = OverriddenTree(document, overrides: overrides)
        guard tree.diagnostics.isEmpty else { throw TopologyError(tree.diagnostics) }
        let source = try Self.effectiveSource(tree.document, file: file, overrides: overrides)
        do {
            return try plan(tree.document, source: source, file: file)
        } catch {
            throw TopologyError(error.diagnostics.map(tree.attributed))
        }
    }

    /// The plan for the YAML tree `document`, whose text is `source`.
    private func plan(_ document: Node, source: String, file: String) throws(TopologyError) -> RunPlan {
        let parser = TopologyParser(file: file, root: root, checksDataFiles: checksDataFiles, methods: methods)
        guard let plan = parser.plan(document, source: source) else { throw parser.log.error }
        return plan
    }

    /// The text of an overridden topology: a comment naming the file and the overrides, then YAML.
    ///
    /// The same file and overrides always give the same text, which `--resume` compares.
    static func effectiveSource(_ document: Node, file: String, overrides: [TopologyOverride]) throws(TopologyError)
        -> String
    {
        let header = "# \(file) with " + overrides.map(\.description).joined(separator: " ") + "\n"
        do {
            return header + (try Yams.serialize(node: document.withoutAnchors, width: -1, allowUnicode: true))
        } catch {
            throw TopologyError([
                Diagnostic(
                    file: file, line: 0, column: 0, path: "",
                    message: "cannot be written back as YAML after the overrides: \(error)")
            ])
        }
    }

    /// `path` as an absolute path: itself when absolute, under the home folder for `~/`,
    /// otherwise under `root`.
    public static func resolve(_ path: String, root: String) -> String {
        if path == "~" || path.hasPrefix("~/") {
            let home = FileManager.default.homeDirectoryForCurrentUser.path
            return URL(fileURLWithPath: home + path.dropFirst()).standardizedFileURL.path
        }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: root, isDirectory: true))
            .standardizedFileURL.path
    }

    /// A diagnostic for YAML that Yams could not read, at the position libyaml gave.
    static func diagnostic(for error: any Error, file: String, text: String) -> Diagnostic {
        func located(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> Diagnostic {
            let during = context.map { " (\($0.text) that starts at line \($0.mark.line), column \($0.mark.column))" }
            return Diagnostic(
                file: file, line: mark.line, column: mark.column, path: "",
                message:
                    "not valid YAML: \(problem)\(during ?? "")\(tabNote(text, line: mark.line, column: mark.column))")
        }
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(problem, mark, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams gives the position of the first occurrence only.
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(
                file: file, line: context.mark.line, column: context.mark.column, path: "",
                message: "key \(keys) is written more than once in this mapping (first here); keep one")
        case .reader(let problem, let offset, _, _):
            let prefix = offset.map { String(text.prefix($0)) } ?? ""
            let lines = prefix.split(separator: "\n", omittingEmptySubsequences: false)
            return Diagnostic(
                file: file, line: lines.count, column: (lines.last?.unicodeScalars.count ?? 0) + 1, path: "",
                message: "not valid YAML text: \(problem)")
        default:
            return Diagnostic(file: file, line: 0, column: 0, path: "", message: "not valid YAML: \(error)")
        }
    }
}
