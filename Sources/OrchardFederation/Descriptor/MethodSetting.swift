import Foundation

/// One setting a method accepts, as a topology writes it: key, kind, default and summary.
///
/// This is the untyped view of a `SettingDeclaration`, which the topology loader checks `method:`
/// against and the reference documents; the method itself receives its typed settings.
public struct MethodSetting: Sendable {
    /// The kinds of value a setting can take, with their ranges.
    public enum Kind: Sendable {
        /// `true` or `false`.
        case boolean
        /// A whole number in the range.
        case integer(ClosedRange<Int>)
        /// A number in the range.
        case number(ClosedRange<Double>)
        /// A fraction in (0, 1], written `0.05` or `5%`.
        case fraction
        /// One of the words listed.
        case choice([String])
    }

    /// The key under `method:`.
    public let key: String
    /// The kind of value and its range.
    public let kind: Kind
    /// The value used when the topology does not set it; nil makes the setting required.
    public let defaultValue: SettingValue?
    /// One sentence about the setting.
    public let summary: String

    /// Creates a setting.
    public init(key: String, kind: Kind, defaultValue: SettingValue?, summary: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// Whether `value` is of this setting's kind and within its range.
    public func accepts(_ value: SettingValue) -> Bool {
        switch (kind, value) {
        case (.boolean, .boolean): return true
        case (.integer(let range), .integer(let number)): return range.contains(number)
        case (.number(let range), .number(let number)): return range.contains(number)
        case (.fraction, .number(let number)): return number > 0 && number <= 1
        case (.choice(let words), .choice(let word)): return words.contains(word)
        default: return false
        }
    }
}

/// The value of one method setting: a scalar of the kind the setting declares.
public enum SettingValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// `true` or `false`.
    case boolean(Bool)
    /// A whole number.
    case integer(Int)
    /// A number; fractions written as `90%` arrive here as 0.9.
    case number(Double)
    /// A word from the setting's list of choices.
    case choice(String)

    /// The value as it would be written in a topology; numbers with at most three decimals.
    public var description: String {
        switch self {
        case .boolean(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value):
            var text = String(format: "%.3f", value)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text == "-0" ? "0" : text
        case .choice(let value): return value
        }
    }

    /// The value as a number, for integer and number settings.
    public var number: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }
}
