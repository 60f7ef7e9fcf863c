import Foundation

/// The frame every chart shares: size, margins, title, axis labels, and how values map to pixels.
///
/// Charts are pure functions from data to SVG text, drawn with inline attributes only (no
/// scripts, no external style), so that a report is one self-contained file.
public struct SVGChart: Sendable {
    /// How an axis writes its tick labels.
    public enum Units: Sendable {
        /// Plain numbers: `0`, `2.5`, `1,000`.
        case number
        /// Fractions from 0 to 1 as percentages: `25%`.
        case percent
        /// Byte counts in decimal units: `512 B`, `1.5 KB`, `20 MB`, `3 GB`.
        case bytes
        /// Floating-point operation counts: `500 M`, `2 G`, `1.5 T`.
        case flops
        /// Seconds.
        case seconds
    }

    /// A linear map from a data range to pixels: `start` at the domain's lower bound, `end` at its
    /// upper bound (`end` is above `start` on screen for a vertical scale, so it may be smaller).
    public struct Scale: Sendable, Equatable {
        public var domain: ClosedRange<Double>
        public var start: Double
        public var end: Double

        /// Where `value` falls.
        public func callAsFunction(_ value: Double) -> Double {
            let span = domain.upperBound - domain.lowerBound
            let fraction = span > 0 ? (value - domain.lowerBound) / span : 0.5
            return start + fraction * (end - start)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xUnits: Units
    public var yUnits: Units
    public var width = 560.0
    public var height = 340.0
    /// Space left for the title, the axes' labels and ticks.
    public var margin = (top: 34.0, right: 28.0, bottom: 50.0, left: 66.0)

    public init(title: String, xLabel: String, yLabel: String, xUnits: Units = .number, yUnits: Units = .number) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xUnits = xUnits
        self.yUnits = yUnits
    }

    /// The plotting area's left, right, top and bottom edges in pixels.
    var plot: (left: Double, right: Double, top: Double, bottom: Double) {
        (margin.left, width - margin.right, margin.top, height - margin.bottom)
    }

    /// The horizontal scale for data in `domain`.
    func xScale(_ domain: ClosedRange<Double>) -> Scale { Scale(domain: domain, start: plot.left, end: plot.right) }

    /// The vertical scale for data in `domain`; larger values are higher up.
    func yScale(_ domain: ClosedRange<Double>) -> Scale { Scale(domain: domain, start: plot.bottom, end: plot.top) }

    /// The opening `<svg>` element with the title and axis labels, whose `content` goes between.
    func document(_ content: [String]) -> String {
        let (left, right, top, bottom) = plot
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
                + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" "
                + "aria-label=\"\(Self.escape(title))\" font-family=\"system-ui, sans-serif\" font-size=\"12\">",
            "<title>\(Self.escape(title))</title>",
            "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
            Self.text(title, x: width / 2, y: 20, anchor: "middle", extra: titleStyle),
            Self.text(xLabel, x: (left + right) / 2, y: height - 10, anchor: "middle", extra: "fill=\"#333\""),
            Self.text(
                yLabel, x: 16, y: (top + bottom) / 2, anchor: "middle",
                extra: "fill=\"#333\" transform=\"rotate(-90 16 \(Self.number((top + bottom) / 2)))\""),
        ]
        parts += content
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// Grid lines and tick labels for both axes.
    func axes(x: Scale, y: Scale, xTicks: [Double], yTicks: [Double]) -> [String] {
        let (left, right, top, bottom) = plot
        var parts: [String] = []
        for tick in yTicks {
            let position = y(tick)
            parts.append(Self.line(left, position, right, position, stroke: "#e3e3e3"))
            parts.append(Self.text(Self.label(tick, yUnits), x: left - 6, y: position + 4, anchor: "end"))
        }
        for tick in xTicks {
            let position = x(tick)
            parts.append(Self.line(position, top, position, bottom, stroke: "#f0f0f0"))
            parts.append(Self.text(Self.label(tick, xUnits), x: position, y: bottom + 16, anchor: "middle"))
        }
        parts.append(Self.line(left, bottom, right, bottom, stroke: "#555"))
        parts.append(Self.line(left, top, left, bottom, stroke: "#555"))
        return parts
    }

    /// The legend's swatches placed in rows of the width of the plotting area: each entry's left edge and row.
    func legendLayout(_ names: [String]) -> [(x: Double, row: Int)] {
        var places: [(x: Double, row: Int)] = []
        var x = plot.left
        var row = 0
        for name in names {
            let width = 22 + 6.5 * Double(name.count)
            if x + width > plot.right, x > plot.left {
                x = plot.left
                row += 1
            }
            places.append((x, row))
            x += width + 10
        }
        return places
    }

    /// This chart with room above the plotting area for the legend of `names`, drawn when there
    /// are at least `minimum`.
    func makingRoom(forLegend names: [String], minimum: Int = 2) -> SVGChart {
        guard names.count >= minimum, let rows = legendLayout(names).last.map({ $0.row + 1 }) else { return self }
        var chart = self
        chart.margin.top += 16 * Double(rows)
        return chart
    }

    /// A legend of coloured swatches in rows between the title and the plotting area, which
    /// `makingRoom(forLegend:minimum:)` has made room for; nothing for fewer than `minimum` entries.
    func legend(_ entries: [(name: String, color: String)], minimum: Int = 2) -> [String] {
        guard entries.count >= minimum, !entries.isEmpty else { return [] }
        let places = legendLayout(entries.map(\.name))
        let rows = (places.last?.row ?? 0) + 1
        var parts: [String] = []
        for (entry, place) in zip(entries, places) {
            let y = plot.top - 16 * Double(rows - place.row) + 6
            parts.append(
                "<rect x=\"\(Self.number(place.x))\" y=\"\(Self.number(y - 9))\" width=\"12\" height=\"10\" "
                    + "fill=\"\(entry.color)\"/>")
            parts.append(Self.text(entry.name, x: place.x + 16, y: y, anchor: "start", extra: "fill=\"#222\""))
        }
        return parts
    }

    /// The title's font, squeezed to the chart's width when it would run past it.
    ///
    /// A title is 15 px bold, about 9 px a character; a longer one gets `textLength`, which the
    /// renderer fits by narrowing the glyphs rather than cutting them off at the edges.
    var titleStyle: String {
        let style = "font-size=\"15\" font-weight=\"600\""
        let room = width - 20
        guard Double(title.count) * 9 > room else { return style }
        return style + " textLength=\"\(Self.number(room))\" lengthAdjust=\"spacingAndGlyphs\""
    }

    /// The colour of the `index`th series: twenty distinguishable colours (ten strong, then their
    /// light tints), then again.
    public static func color(_ index: Int) -> String {
        let palette = [
            "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
            "#dbdb8d", "#9edae5",
        ]
        return palette[((index % palette.count) + palette.count) % palette.count]
    }

    /// A message in place of a chart that has no data.
    func empty(_ message: String) -> String {
        document([Self.text(message, x: width / 2, y: height / 2, anchor: "middle", extra: "fill=\"#777\"")])
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\" stroke=\"\(stroke)\"/>"
    }

    static func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "fill=\"#444\"")
        -> String
    {
        "<text x=\"\(number(x))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\" \(extra)>\(escape(content))</text>"
    }

    /// `text` safe inside XML text and attribute values.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        // Far outside any drawing: clamped so that the conversion to a whole number cannot overflow.
        let rounded = (min(max(value, -1e9), 1e9) * 100).rounded() / 100
        return rounded == rounded.rounded()
            ? String(Int64(rounded))
            : String(format: "%.2f", rounded)
                .replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}
