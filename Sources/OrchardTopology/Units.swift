/// Parses the quantities of a topology written with their units: byte sizes, bit rates,
/// durations, FLOP rates and fractions.
///
/// A quantity is a decimal number (`4`, `1.5`, `2e9`, optionally signed, with `_` allowed between
/// digits), optional spaces, then a unit. Prefixes follow SI and IEC exactly: `k`/`K`, `M`, `G`,
/// `T` are powers of 1,000 and `Ki`, `Mi`, `Gi`, `Ti` powers of 1,024, so `4MB` is 4,000,000
/// bytes and `4MiB` is 4,194,304. Units are case-sensitive where case changes the meaning (`Mb`
/// is megabits, `MB` megabytes, `m` would be milli), and a unit that is written in the wrong case
/// or one letter off is named in the error with the spelling that was probably meant. Signs are
/// accepted here so that the caller can say "must be positive" rather than "is not a size".
public enum Units {
    /// A byte size: `512KiB`, `4MB`, `1.5GiB`, `2048B` or a plain number of bytes (`2048`), rounded
    /// to the nearest byte.
    public static func bytes(_ text: String) throws(UnitError) -> Int {
        let expected = "expected e.g. 512KiB, 4MB, 1.5GiB or a plain number of bytes"
        let (value, unit) = try split(text, what: "a byte size", expected: expected)
        let bytes: Double
        if unit.isEmpty {
            bytes = value
        } else if let multiplier = byteUnits[unit] {
            bytes = value * multiplier
        } else if unit.hasSuffix("b"), unit == "b" || byteUnits[String(unit.dropLast()) + "B"] != nil {
            throw UnitError(
                text: text,
                "'\(text)' is in bits, not bytes: '\(unit)' means \(prefixNames[String(unit.dropLast())] ?? "")bits; "
                    + "write \(format(value))\(String(unit.dropLast()))B for bytes (\(expected))")
        } else if ["k", "K", "M", "G", "T"].contains(unit) || ["Ki", "Mi", "Gi", "Ti"].contains(unit) {
            let decimal = unit == "k" ? "kB" : unit.hasSuffix("i") ? "\(unit.dropLast())B" : unit + "B"
            let binary = unit.hasSuffix("i") ? unit + "B" : (unit == "k" ? "Ki" : unit + "i") + "B"
            throw UnitError(
                text: text,
                "'\(text)' lacks the B of bytes: write \(format(value))\(decimal) (powers of 1000) "
                    + "or \(format(value))\(binary) (powers of 1024)")
        } else {
            throw unknown(
                text, unit: unit, value: value, what: "a byte size", expected: expected, among: byteUnits.keys.sorted())
        }
        guard bytes.magnitude < 0x1p62 else {
            throw UnitError(text: text, "'\(text)' is too large to be a byte size")
        }
        return Int(bytes.rounded())
    }

    /// A bit rate in bits per second.
    ///
    /// Accepts `5Mbps`, `100kbps`, `1Gbps`, `20Mbit/s`, `20Mb/s`, or bytes per second written with
    /// `/s` (`2MB/s`, `512KiB/s`). A plain number is refused, since it could mean either.
    public static func bitRate(_ text: String) throws(UnitError) -> Double {
        let expected = "expected e.g. 5Mbps, 100kbps, 1Gbps, 20Mbit/s or 2MB/s"
        let (value, unit) = try split(text, what: "a bit rate", expected: expected)
        guard !unit.isEmpty else {
            throw UnitError(text: text, "'\(text)' has no unit, so bits and bytes cannot be told apart (\(expected))")
        }
        if let multiplier = bitRateUnits[unit] { return value * multiplier }
        if unit.hasSuffix("Bps") {
            let prefix = unit.dropLast(3)
            throw UnitError(
                text: text,
                "'\(unit)' is ambiguous: write \(format(value))\(prefix)B/s for bytes per second "
                    + "or \(format(value))\(prefix)bps for bits per second")
        }
        throw unknown(text, unit: unit, value: value, what: "a bit rate", expected: expected, among: bitRateSpellings)
    }

    /// A duration in seconds.
    ///
    /// Accepts `250us`, `40ms`, `2s`, `1.5min`, `1h` (and `ns`, `µs`). Only zero may be written
    /// without a unit, since `40` could mean seconds or milliseconds.
    public static func duration(_ text: String) throws(UnitError) -> Double {
        let expected = "expected e.g. 40ms, 2s, 1.5min or 250us"
        let (value, unit) = try split(text, what: "a duration", expected: expected)
        if unit.isEmpty {
            guard value == 0 else {
                throw UnitError(
                    text: text, "'\(text)' has no unit: write \(format(value))s or \(format(value))ms (\(expected))")
            }
            return 0
        }
        if let multiplier = durationUnits[unit] { return value * multiplier }
        if unit == "m" {
            throw UnitError(
                text: text, "'\(text)' is ambiguous: write \(format(value))min for minutes or \(format(value))ms")
        }
        throw unknown(
            text, unit: unit, value: value, what: "a duration", expected: expected, among: durationUnits.keys.sorted())
    }

    /// A rate of floating-point operations per second.
    ///
    /// Accepts `2GFLOPS`, `500MFLOPS`, `1.2TFLOPS`, `2 GFLOP/s`. The unit is read without regard to
    /// case, since no other reading of `mflops` exists.
    public static func flopRate(_ text: String) throws(UnitError) -> Double {
        let expected = "expected e.g. 2GFLOPS, 500MFLOPS or 1.2TFLOPS"
        let (value, unit) = try split(text, what: "a compute speed", expected: expected)
        let lowered = unit.lowercased()
        for suffix in ["flops", "flop/s"] where lowered.hasSuffix(suffix) {
            if let multiplier = flopPrefixes[String(lowered.dropLast(suffix.count))] { return value * multiplier }
        }
        guard !unit.isEmpty else {
            throw UnitError(text: text, "'\(text)' has no unit: write \(format(value))GFLOPS or similar (\(expected))")
        }
        throw unknown(
            text, unit: unit, value: value, what: "a compute speed", expected: expected,
            among: ["GFLOPS", "MFLOPS", "TFLOPS", "kFLOPS", "PFLOPS", "FLOPS"])
    }

    /// A fraction: `0.9` or `90%`.
    public static func fraction(_ text: String) throws(UnitError) -> Double {
        let expected = "expected e.g. 0.9 or 90%"
        let (value, unit) = try split(text, what: "a fraction", expected: expected)
        switch unit {
        case "": return value
        case "%": return value / 100
        default: throw UnitError(text: text, "'\(text)' is not a fraction (\(expected))")
        }
    }

    /// A plain decimal number, with the same syntax as the number part of a quantity.
    static func number(_ text: String) -> Double? {
        guard let (value, rest) = leadingNumber(text), rest.isEmpty else { return nil }
        return value
    }

    static let byteUnits: [String: Double] = [
        "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
        "KiB": 0x1p10, "MiB": 0x1p20, "GiB": 0x1p30, "TiB": 0x1p40,
    ]

    /// The bit-rate units with their bits per second, `bps` forms first since errors suggest the
    /// first close spelling.
    static let bitRateList: [(String, Double)] = {
        let decimal: [(String, Double)] = [("", 1), ("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)]
        var units: [(String, Double)] = []
        for suffix in ["bps", "bit/s", "b/s"] { units += decimal.map { ($0.0 + suffix, $0.1) } }
        units += decimal.map { ($0.0 + "B/s", 8 * $0.1) }
        units += [("KiB/s", 0x1p13), ("MiB/s", 0x1p23), ("GiB/s", 0x1p33)]
        return units
    }()

    static let bitRateUnits = Dictionary(uniqueKeysWithValues: bitRateList)
    static let bitRateSpellings = bitRateList.map(\.0)

    /// The names of the prefixes, for messages.
    static let prefixNames = [
        "": "", "k": "kilo", "K": "kilo", "M": "mega", "G": "giga", "T": "tera", "Ki": "kibi", "Mi": "mebi",
        "Gi": "gibi", "Ti": "tebi",
    ]

    static let durationUnits: [String: Double] = [
        "ns": 1e-9, "us": 1e-6, "\u{00B5}s": 1e-6, "\u{03BC}s": 1e-6, "ms": 1e-3, "s": 1, "min": 60, "h": 3600,
    ]

    static let flopPrefixes: [String: Double] = ["": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15]

    /// The number at the start of `text` and the unit after it, spaces trimmed.
    private static func split(_ text: String, what: String, expected: String) throws(UnitError) -> (Double, String) {
        let trimmed = text.trimmingSpaces()
        guard let (value, rest) = leadingNumber(trimmed) else {
            throw UnitError(text: text, "'\(text)' is not \(what) (\(expected))")
        }
        return (value, rest.trimmingSpaces())
    }

    /// The longest prefix of `text` that is a decimal number, and what follows it.
    private static func leadingNumber(_ text: String) -> (Double, String)? {
        let characters = Array(text)
        var index = 0
        var digits = ""
        if index < characters.count, characters[index] == "+" || characters[index] == "-" {
            digits.append(characters[index])
            index += 1
        }
        func scanDigits() -> Int {
            var count = 0
            while index < characters.count {
                let character = characters[index]
                if character.isASCII, character.isNumber {
                    digits.append(character)
                    count += 1
                } else if character == "_", count > 0, index + 1 < characters.count,
                    characters[index + 1].isASCII, characters[index + 1].isNumber
                {
                    // A digit separator, as in 60_000: skipped.
                } else {
                    break
                }
                index += 1
            }
            return count
        }
        var mantissaDigits = scanDigits()
        if index < characters.count, characters[index] == "." {
            digits.append(".")
            index += 1
            mantissaDigits += scanDigits()
        }
        guard mantissaDigits > 0 else { return nil }
        // An exponent only counts when digits follow, so that 2e is not mistaken for one.
        if index < characters.count, characters[index] == "e" || characters[index] == "E" {
            let mark = index
            let saved = digits
            digits.append("e")
            index += 1
            if index < characters.count, characters[index] == "+" || characters[index] == "-" {
                digits.append(characters[index])
                index += 1
            }
            if scanDigits() == 0 {
                index = mark
                digits = saved
            }
        }
        guard let value = Double(digits), value.isFinite else { return nil }
        return (value, String(characters[index...]))
    }

    /// An error for a unit that is not among `units`, naming a close spelling when there is one.
    private static func unknown(
        _ text: String, unit: String, value: Double, what: String, expected: String, among spellings: [String]
    ) -> UnitError {
        let exactButCase = spellings.first { $0.lowercased() == unit.lowercased() && $0 != unit }
        let hint = (exactButCase ?? Suggestion.closest(to: unit, among: spellings))
            .map { "; did you mean \(format(value))\($0)?" }
        return UnitError(text: text, "'\(text)' is not \(what)\(hint ?? "") (\(expected))")
    }

    /// `value` as the user would write it: no trailing `.0`.
    static func format(_ value: Double) -> String {
        value == value.rounded() && value.magnitude < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A quantity that could not be read, with the text and an explanation that says what was expected.
public struct UnitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public let text: String
    /// The explanation, which quotes `text` and gives examples of what is accepted.
    public let description: String

    /// Creates an error about `text`.
    public init(text: String, _ description: String) {
        self.text = text
        self.description = description
    }
}

extension String {
    /// The string without leading or trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let characters = Array(self)
        guard let first = characters.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = characters.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(characters[first...last])
    }
}
