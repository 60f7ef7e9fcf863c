import Yams

/// A YAML mapping being read: its values by key, which of them were read, and the position of each.
///
/// Readers take values with `read`, and `finish` then reports every key nobody read as unknown,
/// with a suggestion when it is close to a known one. YAML merge keys (`<<: *defaults`) are
/// honoured, keys written in the mapping itself winning over merged ones, so that groups can
/// share settings through anchors.
final class Section {
    /// The key path of the mapping.
    let path: String
    /// Where the mapping starts.
    let mark: Mark?
    private let log: DiagnosticLog
    private var entries: [String: (key: Node, value: Node)] = [:]
    private var consumed: Set<String> = []

    /// Reads `node` as a mapping, or reports that `expected` was wanted and returns nil.
    ///
    /// With a `shorthandKey`, a plain scalar stands for a mapping with that single key, so that
    /// `model: lenet5` means `model: {name: lenet5}`.
    init?(_ node: Node, path: String, log: DiagnosticLog, expected: String, shorthandKey: String? = nil) {
        self.path = path
        self.log = log
        mark = node.mark
        log.note(node, at: path)
        if case .scalar = node, !DiagnosticLog.isNull(node), let shorthandKey {
            entries[shorthandKey] = (node, node)
            return
        }
        guard case .mapping(let mapping) = node else {
            log.report("expected \(expected), got \(DiagnosticLog.describe(node))", at: node.mark, path: path)
            return nil
        }
        var merged: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                log.report("a key must be a plain name, not \(DiagnosticLog.describe(key))", at: key.mark, path: path)
                continue
            }
            if scalar.string == "<<", scalar.style == .plain || scalar.style == .any {
                merged += mergedEntries(value)
            } else {
                entries[scalar.string] = (key, value)
            }
        }
        for (key, value) in merged {
            guard case .scalar(let scalar) = key, entries[scalar.string] == nil else { continue }
            entries[scalar.string] = (key, value)
        }
    }

    /// Whether the mapping has `key`.
    func contains(_ key: String) -> Bool { entries[key] != nil }

    /// The keys written, in no particular order.
    var keys: [String] { Array(entries.keys) }

    /// The value under `key`, marked as read.
    func node(_ key: String) -> Node? {
        consumed.insert(key)
        guard let value = entries[key]?.value else { return nil }
        log.note(value, at: KeyPath.child(path, key))
        return value
    }

    /// The value under `key` converted by `convert`, which reports its own mistakes.
    ///
    /// A missing `required` key is reported at the start of the mapping. With `nullMeansAbsent`,
    /// an explicit `null` reads as absent; otherwise `convert` sees it and reports it.
    func read<Value>(
        _ key: String, required: Bool = false, nullMeansAbsent: Bool = false,
        _ convert: (Node, String) -> Value?
    ) -> Value? {
        guard let value = node(key) else {
            if required { log.report("missing required key '\(key)'", at: mark, path: path) }
            return nil
        }
        if nullMeansAbsent, DiagnosticLog.isNull(value) { return nil }
        return convert(value, KeyPath.child(path, key))
    }

    /// Reports every key that was not read: as misplaced when `elsewhere` explains where it
    /// belongs, otherwise as unknown with the closest of `known`.
    func finish(known: [String], elsewhere: [String: String] = [:]) {
        for (key, entry) in entries where !consumed.contains(key) {
            // The message, and its search for a close known key, is only made if the log keeps it.
            log.report(
                Self.unread(key, known: known, elsewhere: elsewhere), at: entry.key.mark,
                path: KeyPath.child(path, key))
        }
    }

    /// Why `key` does not belong: where it does, or that it is unknown and what is known.
    private static func unread(_ key: String, known: [String], elsewhere: [String: String]) -> String {
        if let explanation = elsewhere[key] { return explanation }
        if known.isEmpty { return "unknown key; nothing else is accepted here" }
        return "unknown key\(Suggestion.didYouMean(key, among: known)) "
            + "(known keys here: \(known.joined(separator: ", ")))"
    }

    /// Marks every key as read, for a mapping whose keys cannot be judged (an unknown method).
    func ignoreRest() { consumed.formUnion(entries.keys) }

    /// The entries that a merge key brings in: one mapping, or a list of them (earlier ones win).
    private func mergedEntries(_ value: Node) -> [(key: Node, value: Node)] {
        switch value {
        case .mapping(let mapping):
            return mapping.map { ($0.key, $0.value) }
        case .sequence(let sequence):
            var result: [(key: Node, value: Node)] = []
            for case .mapping(let mapping) in sequence.reversed() {
                result = mapping.map { ($0.key, $0.value) } + result
            }
            var seen: Set<String> = []
            return result.filter { entry in entry.key.string.map { seen.insert($0).inserted } ?? false }
        default:
            log.report(
                "a merge key '<<' needs a mapping or a list of mappings, got \(DiagnosticLog.describe(value))",
                at: value.mark, path: path)
            return []
        }
    }
}
