import Foundation
import Yams

/// A grid of runs over one base topology: every combination of the axes' values, each with every seed.
///
/// A sweep file names the base topology (relative to the sweep file), optional overrides for every
/// run (`set:`), the axes and the seeds:
///
/// ```yaml
/// topology: ../mnist-lenet5-5pct.yaml
/// set: {rounds: 30}
/// axes:
///   method.name: [fixed-mask, fedtiny]
///   method.density: [10%, 5%]
/// seeds: [0, 1, 2]
/// ```
///
/// An axis named by a key path sets that key to each value. A value may instead be a mapping of
/// key paths to values, set together, with an optional `label` naming it in cell names; the
/// axis's name then only names the column. `docs/sweeps.md` describes the file.
public struct Sweep: Sendable {
    /// One value of an axis: the overrides it stands for and its name in cell names.
    public struct Value: Sendable, Hashable {
        /// The value's name in cell names and summaries, such as `10pct` or `snip`.
        public var label: String
        /// What the value sets.
        public var overrides: [TopologyOverride]
    }

    /// One dimension of the grid.
    public struct Axis: Sendable {
        /// The axis's key path, or its name when its values are mappings.
        public var name: String
        public var values: [Value]
    }

    /// One combination of the axes' values.
    public struct Cell: Sendable {
        /// The labels of the values joined by `_`, such as `fedtiny_5pct`: unique in the sweep, and
        /// safe as part of a file name.
        public var name: String
        /// Each axis's name with the label of the value this cell takes, in axis order.
        public var settings: [(axis: String, label: String)]
        /// The sweep's fixed overrides, then each value's, in axis order.
        public var overrides: [TopologyOverride]

        /// The overrides of this cell's run with `seed`.
        public func overrides(seed: UInt64) -> [TopologyOverride] {
            overrides + [TopologyOverride(steps: [.key("seed")], value: String(seed))]
        }

        /// The run's name within the sweep: `CELL-seedS`.
        public func runName(seed: UInt64) -> String { "\(name)-seed\(seed)" }
    }

    /// The sweep file as named to `load`.
    public let file: String
    /// The base topology's path: relative to the current folder when the sweep file's is.
    public let topology: String
    /// Overrides every run gets before its cell's.
    public let fixed: [TopologyOverride]
    public let axes: [Axis]
    /// The seeds each cell runs with.
    public let seeds: [UInt64]

    /// Every combination of the axes' values, the first axis varying slowest.
    public var cells: [Cell] {
        var cells = [Cell(name: "", settings: [], overrides: fixed)]
        for axis in axes {
            cells = cells.flatMap { cell in
                axis.values.map { value in
                    Cell(
                        name: cell.name.isEmpty ? value.label : cell.name + "_" + value.label,
                        settings: cell.settings + [(axis.name, value.label)],
                        overrides: cell.overrides + value.overrides)
                }
            }
        }
        return cells
    }

    /// Reads the sweep file `file`.
    /// - Throws: `TopologyError` with every mistake found in it.
    public static func load(file: String) throws(TopologyError) -> Sweep {
        let log = DiagnosticLog(file: file)
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read as UTF-8 text" : "no such file"
            throw TopologyError([Diagnostic(file: file, line: 0, column: 0, path: "", message: reason)])
        }
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw TopologyError([TopologyLoader.diagnostic(for: error, file: file, text: text)])
        }
        guard let document,
            let sweep = SweepParser(log: log).sweep(document, directory: Self.directory(of: file))
        else {
            let diagnostics = log.diagnostics
            throw TopologyError(
                diagnostics.isEmpty
                    ? [Diagnostic(file: file, line: 1, column: 1, path: "", message: "the sweep file is empty")]
                    : diagnostics)
        }
        return sweep
    }

    init(file: String, topology: String, fixed: [TopologyOverride], axes: [Axis], seeds: [UInt64]) {
        self.file = file
        self.topology = topology
        self.fixed = fixed
        self.axes = axes
        self.seeds = seeds
    }

    /// The folder of `file` as written, empty for a file in the current folder.
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "" }
        return file == "/" ? "/" : String(file[...slash])
    }

    /// `path` joined to `directory` without symbolic links resolved: `a/b/../c` becomes `a/c`.
    public static func joined(_ directory: String, _ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var parts: [Substring] = []
        for part in (directory + path).split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return directory.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
