import ArgumentParser
import Foundation

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

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(decimal(value, 1)) \(units[unit])"
    }
}
