import Yams

/// Typed reading of YAML scalars, each reporting what it expected when the value does not fit.
///
/// Numbers, whole numbers and booleans must be plain (unquoted) scalars, so that `"10"` is
/// reported as text rather than silently read as ten; quantities with units may be quoted. Each
/// reader returns nil after reporting, and the caller goes on, so that one run finds every mistake.
extension DiagnosticLog {
    /// How a value reads in a message: `'5Mbs'`, `the quoted text "10"`, `a mapping`, `nothing`.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if isNull(node) { return "nothing" }
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted text \"\(scalar.string)\""
            default: return "'\(scalar.string)'"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Whether `node` is YAML's null: an empty plain scalar, `~` or `null`.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The text of a scalar that is not null, or nil after reporting `expected`.
    func scalarText(_ node: Node, _ path: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            report("expected \(expected), got \(Self.describe(node))", at: node.mark, path: path)
            return nil
        }
        return scalar.string
    }

    /// The text of a plain (unquoted) scalar, or nil after reporting `expected`.
    private func plainText(_ node: Node, _ path: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any, !Self.isNull(node)
        else {
            report("expected \(expected), got \(Self.describe(node))", at: node.mark, path: path)
            return nil
        }
        return scalar.string
    }

    /// A piece of text, such as a name; it may not be empty.
    func text(_ node: Node, _ path: String) -> String? {
        guard let text = scalarText(node, path, expected: "text") else { return nil }
        guard !text.trimmingSpaces().isEmpty else {
            report("must not be empty", at: node.mark, path: path)
            return nil
        }
        return text
    }

    /// One of `names`, such as a model or a data set kind.
    func choice(_ node: Node, _ path: String, among names: [String], what: String) -> String? {
        guard let text = scalarText(node, path, expected: "the name of \(what)") else { return nil }
        guard names.contains(text) else {
            report(
                "unknown \(what) '\(text)'\(Suggestion.didYouMean(text, among: names)) "
                    + "(known: \(names.joined(separator: ", ")))", at: node.mark, path: path)
            return nil
        }
        return text
    }

    /// A whole number in `minimum...maximum`, such as `10` or `60_000`.
    func integer(_ node: Node, _ path: String, atLeast minimum: Int, atMost maximum: Int = Int.max) -> Int? {
        guard let text = plainText(node, path, expected: "a whole number") else { return nil }
        guard let value = Self.wholeNumber(text) else {
            let hint = Units.number(text) != nil ? " (it has a fractional part or is too large)" : ""
            report("expected a whole number, got '\(text)'\(hint)", at: node.mark, path: path)
            return nil
        }
        guard value >= minimum else {
            report("must be at least \(minimum), got \(text)", at: node.mark, path: path)
            return nil
        }
        guard value <= maximum else {
            report("must be at most \(UnitFormat.count(maximum)), got \(text)", at: node.mark, path: path)
            return nil
        }
        return value
    }

    /// A seed: a whole number in 0...2^64-1.
    func seed(_ node: Node, _ path: String) -> UInt64? {
        guard let text = plainText(node, path, expected: "a whole number from 0 to 18446744073709551615")
        else { return nil }
        guard let value = UInt64(text.filter { $0 != "_" && $0 != "+" }), !text.hasPrefix("-") else {
            report("expected a whole number from 0 to 18446744073709551615, got '\(text)'", at: node.mark, path: path)
            return nil
        }
        return value
    }

    /// A number in `bound`, such as `0.05` or `1e-4`.
    func number(_ node: Node, _ path: String, _ bound: Bound) -> Double? {
        guard let text = plainText(node, path, expected: "a number") else { return nil }
        guard let value = Units.number(text) else {
            report("expected a number, got '\(text)'", at: node.mark, path: path)
            return nil
        }
        return check(value, text: text, bound, node, path)
    }

    /// `true` or `false` (YAML's `yes`, `no`, `on` and `off` too).
    func boolean(_ node: Node, _ path: String) -> Bool? {
        guard let text = plainText(node, path, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report("expected true or false, got '\(text)'", at: node.mark, path: path)
            return nil
        }
    }

    /// A quantity with a unit, read by `parse` and checked against `bound`.
    func quantity(
        _ node: Node, _ path: String, _ parse: (String) throws(UnitError) -> Double, _ bound: Bound, what: String
    ) -> Double? {
        guard let text = scalarText(node, path, expected: what) else { return nil }
        let value: Double
        do {
            value = try parse(text)
        } catch {
            report(error.description, at: node.mark, path: path)
            return nil
        }
        return check(value, text: text, bound, node, path)
    }

    /// A byte size, positive: `512KiB`, `4MB`.
    func byteSize(_ node: Node, _ path: String) -> Int? {
        quantity(
            node, path, { (text) throws(UnitError) in Double(try Units.bytes(text)) }, .positive,
            what: "a byte size such as 512KiB or 4MB"
        ).map { Int($0) }
    }

    /// A bit rate, positive: `5Mbps`.
    func bitRate(_ node: Node, _ path: String) -> Double? {
        quantity(node, path, Units.bitRate, .positive, what: "a bit rate such as 5Mbps")
    }

    /// A duration in `bound`: `40ms`.
    func duration(_ node: Node, _ path: String, _ bound: Bound) -> Double? {
        quantity(node, path, Units.duration, bound, what: "a duration such as 40ms or 2s")
    }

    /// A compute speed, positive: `2GFLOPS`.
    func flopRate(_ node: Node, _ path: String) -> Double? {
        quantity(node, path, Units.flopRate, .positive, what: "a compute speed such as 2GFLOPS")
    }

    /// A fraction in (0, 1]: `0.9` or `90%`.
    func fraction(_ node: Node, _ path: String) -> Double? {
        quantity(node, path, Units.fraction, .fraction, what: "a fraction such as 0.9 or 90%")
    }

    private func check(_ value: Double, text: String, _ bound: Bound, _ node: Node, _ path: String) -> Double? {
        guard bound.contains(value) else {
            report("must \(bound.requirement), got \(text)", at: node.mark, path: path)
            return nil
        }
        return value
    }

    /// A whole number written in decimal, with optional sign and `_` between digits, or a number
    /// such as `1e3` whose value is whole.
    static func wholeNumber(_ text: String) -> Int? {
        if !text.hasPrefix("_"), let value = Int(text.filter({ $0 != "_" })) { return value }
        guard let value = Units.number(text), value == value.rounded(), value.magnitude < 0x1p62 else { return nil }
        return Int(value)
    }
}
