import ArgumentParser
import Foundation
import OrchardNN

/// Checks of option values, each throwing a `ValidationError` that names the option and the value.
///
/// Commands run them in `validate()`, so that a mistake fails at once, before any data is loaded,
/// with the usage line of the command that was given.
enum OptionCheck {
    static func positive<Value: Numeric & Comparable>(_ option: String, _ value: Value) throws {
        guard value > .zero else { throw ValidationError("\(option) must be positive, got \(value)") }
    }

    static func notNegative<Value: Numeric & Comparable>(_ option: String, _ value: Value) throws {
        guard value >= .zero else { throw ValidationError("\(option) must be zero or more, got \(value)") }
    }

    /// A positive, finite number: `inf` and `nan` are refused too.
    static func positive<Value: BinaryFloatingPoint>(_ option: String, _ value: Value) throws {
        guard value > 0, value.isFinite else {
            throw ValidationError("\(option) must be a positive finite number, got \(value)")
        }
    }

    /// Zero or a positive, finite number.
    static func notNegative<Value: BinaryFloatingPoint>(_ option: String, _ value: Value) throws {
        guard value >= 0, value.isFinite else {
            throw ValidationError("\(option) must be a finite number, zero or more, got \(value)")
        }
    }

    /// OpenBLAS threads: from 1 to 256.
    static func threads(_ value: Int) throws { try between("--threads", value, 1...256) }

    static func between<Value: Numeric & Comparable>(
        _ option: String, _ value: Value, _ range: ClosedRange<Value>
    ) throws {
        guard range.contains(value) else {
            throw ValidationError(
                "\(option) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
        }
    }

    static func model(_ name: String) throws {
        guard ModelZoo.names.contains(name) else {
            throw ValidationError("--model '\(name)': known models are \(ModelZoo.names.joined(separator: ", "))")
        }
    }
}

/// Parses sample shapes written as `1x28x28` or `60`.
enum SampleShape {
    static func parse(_ text: String) throws -> [Int] {
        let parts = text.split(separator: "x").map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--input '\(text)': expected positive sizes joined by 'x', such as 1x28x28 or 60")
        }
        return parts.map { $0! }
    }

    /// The input the model is usually benchmarked on: MNIST for the small models, CIFAR for the rest.
    static func defaultShape(for model: String) -> String {
        ["logreg", "mlp", "lenet5"].contains(model) ? "1x28x28" : "3x32x32"
    }
}

/// One JSON object per line, with keys in a stable order.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Human-readable numbers.
enum Format {
    static func decimal(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
