import Foundation
import OrchardFormat
import OrchardStore

/// How the text report writes numbers, sizes, times and dates.
enum ReportFormat {
    /// What a missing figure prints as.
    static let missing = "-"

    /// `value` with `digits` decimals, or `-`.
    static func decimal(_ value: Double?, _ digits: Int) -> String {
        guard let value else { return missing }
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        return String(format: "%.\(digits)f", value)
    }

    /// A figure of unknown unit: a whole number with grouped thousands, such as `12,345`, else six
    /// significant digits, such as `0.693147` or `1.5e+12`; or `-`.
    static func figure(_ value: Double?) -> String {
        guard let value else { return missing }
        guard value.isFinite else { return decimal(value, 0) }
        if value == value.rounded(), abs(value) < 1e15 { return grouped(Int(value)) }
        return String(format: "%.6g", value)
    }

    /// A fraction from 0 to 1 as a percentage with two decimals, such as `91.23%`, or `-`.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return missing }
        return decimal(100 * fraction, 2) + "%"
    }

    /// A size in binary units with one decimal, such as `12.3 MiB`, or `-`.
    static func bytes(_ count: Int?) -> String {
        count.map(ByteFormat.binary) ?? missing
    }

    /// A whole number with thousands separated by commas, such as `12,345,678`.
    static func grouped(_ count: Int) -> String {
        let digits = String(count.magnitude)
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return count < 0 ? "-" + text : text
    }

    /// A duration in seconds with two decimals, such as `12.34 s`.
    static func seconds(_ value: Double) -> String { decimal(value, 2) + " s" }

    /// A date in ISO 8601, UTC, to the second, such as `2026-11-21T06:18:00Z`.
    static func iso8601(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    /// `count` followed by `noun`, or by its plural (`noun` + `s` unless given) unless the count is one.
    static func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(grouped(count)) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    /// Text on one line, such as a peer chose (a host id, a reason, an example message): control
    /// characters escaped, cut to `limit` characters with `...` when longer.
    static func oneLine(_ text: String, limit: Int = 100) -> String {
        let escaped = UntrustedText.escaped(text, maxScalars: 16 * limit)
        return escaped.count > limit ? escaped.prefix(limit - 3) + "..." : escaped
    }
}
