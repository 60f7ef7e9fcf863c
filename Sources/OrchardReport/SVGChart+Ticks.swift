import Foundation

extension SVGChart {
    /// About `count` round tick values covering `domain`: steps of 1, 2 or 5 times a power of ten.
    static func ticks(_ domain: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0, span.isFinite else { return [domain.lowerBound] }
        let rough = span / Double(max(count, 1))
        let power = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        var ticks: [Double] = []
        var tick = (domain.lowerBound / step).rounded(.up) * step
        while tick <= domain.upperBound + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }

    /// `domain` widened to round values at both ends, from 0 when `fromZero` and all values are positive.
    static func niceDomain(_ values: [Double], fromZero: Bool) -> ClosedRange<Double> {
        let finite = values.filter(\.isFinite)
        guard var low = finite.min(), var high = finite.max() else { return 0...1 }
        if fromZero { low = min(low, 0) }
        if high == low {
            high = low + (low == 0 ? 1 : abs(low) * 0.1)
        }
        let ticks = ticks(low...high)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : high - low
        return ((low / step).rounded(.down) * step)...((high / step).rounded(.up) * step)
    }

    /// A tick label in `units`.
    static func label(_ value: Double, _ units: Units) -> String {
        switch units {
        case .number: return short(value)
        case .percent: return short(100 * value) + "%"
        case .bytes: return scaled(value, [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")], unit: "B")
        case .flops: return scaled(value, [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")], unit: "")
        case .seconds: return short(value) + " s"
        }
    }

    /// `value` divided by the largest of `prefixes` it reaches, with its suffix.
    private static func scaled(_ value: Double, _ prefixes: [(Double, String)], unit: String) -> String {
        for (scale, suffix) in prefixes where abs(value) >= scale {
            return short(value / scale) + " " + suffix
        }
        return unit.isEmpty ? short(value) : short(value) + " " + unit
    }

    /// At most three significant decimals, no trailing zeros: `2`, `2.5`, `0.125`.
    static func short(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let text = String(format: abs(value) >= 10 ? "%.1f" : "%.3g", value)
        return text.contains(".") && !text.contains("e")
            ? text.replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression) : text
    }
}
