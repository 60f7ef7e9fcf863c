import Foundation
import Yams

/// Reads the YAML tree of a sweep file, collecting every mistake.
struct SweepParser {
    let log: DiagnosticLog

    static let keys = ["topology", "set", "axes", "seeds"]

    /// The sweep of `document`, or nil after reporting its mistakes; `directory` is the sweep
    /// file's folder, which the base topology's path is relative to.
    func sweep(_ document: Node, directory: String) -> Sweep? {
        guard let top = Section(document, path: "", log: log, expected: "a mapping with topology, axes and seeds")
        else { return nil }
        let topology = top.read("topology", required: true, log.text)
        let fixed = top.read("set") { node, path in overrides(node, path, allowsLabel: false)?.overrides } ?? []
        let axes = top.read("axes", required: true, readAxes)
        let seeds = top.read("seeds", required: true, readSeeds)
        top.finish(known: Self.keys)
        guard log.diagnostics.isEmpty, let topology, let axes, let seeds else { return nil }
        let sweep = Sweep(
            file: log.file, topology: Sweep.joined(directory, topology), fixed: fixed, axes: axes, seeds: seeds)
        var seen: [String: Int] = [:]
        for (index, cell) in sweep.cells.enumerated() {
            if let first = seen[cell.name] {
                log.report(
                    "cells \(first) and \(index) are both called '\(cell.name)'; give the values distinct labels",
                    path: "axes")
            }
            seen[cell.name] = seen[cell.name] ?? index
        }
        return log.diagnostics.isEmpty ? sweep : nil
    }

    /// `axes:`, a mapping of axis names to non-empty lists of values, in the order written.
    private func readAxes(_ node: Node, _ path: String) -> [Sweep.Axis]? {
        guard case .mapping(let mapping) = node, !mapping.isEmpty else {
            log.report(
                "expected a mapping of key paths to lists of values, got \(DiagnosticLog.describe(node))",
                at: node.mark, path: path)
            return nil
        }
        var axes: [Sweep.Axis] = []
        for (key, value) in mapping {
            guard let name = log.text(key, path) else { continue }
            let axisPath = KeyPath.child(path, name)
            guard case .sequence(let sequence) = value, !sequence.isEmpty else {
                log.report(
                    "expected a non-empty list of values, got \(DiagnosticLog.describe(value))", at: value.mark,
                    path: axisPath)
                continue
            }
            let values = sequence.enumerated().compactMap { index, item in
                axisValue(item, KeyPath.element(axisPath, index), axis: name)
            }
            guard values.count == sequence.count else { continue }
            let labels = values.map(\.label)
            if Set(labels).count < labels.count {
                log.report("two values have the same label (\(labels.joined(separator: ", ")))", path: axisPath)
            }
            axes.append(Sweep.Axis(name: name, values: values))
        }
        return axes.count == mapping.count ? axes : nil
    }

    /// One value of the axis `axis`: a mapping of key paths, or a value for the axis's own path.
    private func axisValue(_ node: Node, _ path: String, axis: String) -> Sweep.Value? {
        if case .mapping = node { return overrides(node, path, allowsLabel: true) }
        guard let steps = TopologyOverride.steps(axis) else {
            log.report(
                "'\(axis)' is not a key path, so its values must be mappings of key paths to values", at: node.mark,
                path: path)
            return nil
        }
        let text = Self.yaml(node)
        return Sweep.Value(label: Self.label(text), overrides: [TopologyOverride(steps: steps, value: text)])
    }

    /// A mapping of key paths to values, with an optional `label` when `allowsLabel`.
    private func overrides(_ node: Node, _ path: String, allowsLabel: Bool) -> Sweep.Value? {
        guard case .mapping(let mapping) = node else {
            log.report(
                "expected a mapping of key paths to values, got \(DiagnosticLog.describe(node))", at: node.mark,
                path: path)
            return nil
        }
        var overrides: [TopologyOverride] = []
        var label: String?
        for (key, value) in mapping {
            guard let name = log.text(key, path) else { return nil }
            if allowsLabel, name == "label" {
                label = log.text(value, KeyPath.child(path, name)).map(Self.label)
            } else if let steps = TopologyOverride.steps(name) {
                overrides.append(TopologyOverride(steps: steps, value: Self.yaml(value)))
            } else {
                log.report("'\(name)' is not a key path such as method.density", at: key.mark, path: path)
                return nil
            }
        }
        return Sweep.Value(
            label: label ?? overrides.map { Self.label($0.value) }.joined(separator: "-"), overrides: overrides)
    }

    /// `seeds:`, a non-empty list of distinct seeds.
    private func readSeeds(_ node: Node, _ path: String) -> [UInt64]? {
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            log.report(
                "expected a non-empty list of seeds, got \(DiagnosticLog.describe(node))", at: node.mark, path: path)
            return nil
        }
        let seeds = sequence.enumerated().compactMap { log.seed($1, KeyPath.element(path, $0)) }
        guard seeds.count == sequence.count else { return nil }
        guard Set(seeds).count == seeds.count else {
            log.report("a seed is listed twice", at: node.mark, path: path)
            return nil
        }
        return seeds
    }

    /// The YAML text of `node` on one line: a plain scalar as written, any other in double quotes
    /// (so that `"10"` stays text), collections in flow style.
    static func yaml(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain || scalar.style == .any { return scalar.string }
            let escaped = scalar.string.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\"" + escaped + "\""
        case .sequence(let sequence):
            return "[" + sequence.map(yaml).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\(yaml($0.key)): \(yaml($0.value))" }.joined(separator: ", ") + "}"
        case .alias:
            return node.string ?? ""
        }
    }

    /// `text` as part of a file name: letters, digits, `.` and `-` kept, `%` as `pct`, the rest `-`.
    static func label(_ text: String) -> String {
        var label = ""
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-") {
                label.append(character)
            } else if character == "%" {
                label += "pct"
            } else if label.last != "-" {
                label.append("-")
            }
        }
        let trimmed = label.trimmingCharacters(in: ["-"])
        return trimmed.isEmpty ? "value" : trimmed
    }
}
