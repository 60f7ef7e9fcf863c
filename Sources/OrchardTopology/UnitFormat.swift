import Foundation
import OrchardFederation

/// Writes quantities back the way a topology file would, so that a summary or an error message
/// can be copied into the file: `5Mbps`, `40ms`, `2GFLOPS` (byte counts: `ByteFormat.topology`).
public enum UnitFormat {
    /// A bit rate in the largest decimal unit that keeps the number at one or more: `5Mbps`.
    public static func bitRate(_ bitsPerSecond: Double) -> String {
        scaled(bitsPerSecond, [("Tbps", 1e12), ("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)], base: "bps")
    }

    /// A rate of floating-point operations per second: `2GFLOPS`.
    public static func flopRate(_ flops: Double) -> String {
        scaled(
            flops, [("PFLOPS", 1e15), ("TFLOPS", 1e12), ("GFLOPS", 1e9), ("MFLOPS", 1e6), ("kFLOPS", 1e3)],
            base: "FLOPS")
    }

    /// A duration: `250us`, `40ms`, `2s`, `1.5min`, `2h`.
    public static func duration(_ seconds: Double) -> String {
        let magnitude = seconds.magnitude
        if magnitude == 0 { return "0s" }
        if magnitude < 1e-3 { return trimmed(seconds * 1e6) + "us" }
        if magnitude < 1 { return trimmed(seconds * 1e3) + "ms" }
        if magnitude < 60 { return trimmed(seconds) + "s" }
        if magnitude < 3600 { return trimmed(seconds / 60) + "min" }
        return trimmed(seconds / 3600) + "h"
    }

    /// A fraction as a percentage: `90%`.
    public static func percent(_ fraction: Double) -> String { trimmed(fraction * 100) + "%" }

    /// A whole number with thousands separators: `61,706`.
    public static func count(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return (value < 0 ? "-" : "") + text
    }

    private static func scaled(_ value: Double, _ units: [(String, Double)], base: String) -> String {
        guard let (unit, size) = units.first(where: { value.magnitude >= $0.1 }) else { return trimmed(value) + base }
        return trimmed(value / size) + unit
    }

    /// At most three decimals, without trailing zeros.
    static func trimmed(_ value: Double) -> String { SettingValue.number(value).description }
}
