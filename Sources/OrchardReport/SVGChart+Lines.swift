/// A named line of points, optionally with a band around it (mean ± sd across seeds).
public struct LineSeries: Sendable, Equatable {
    /// One point of a line.
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    /// The band's extent at one x.
    public struct Band: Sendable, Equatable {
        public var x: Double
        public var low: Double
        public var high: Double

        public init(x: Double, low: Double, high: Double) {
            self.x = x
            self.low = low
            self.high = high
        }
    }

    public var name: String
    /// The points in drawing order; non-finite ones are left out.
    public var points: [Point]
    public var band: [Band]

    public init(name: String, points: [Point], band: [Band] = []) {
        self.name = name
        self.points = points
        self.band = band
    }
}

extension SVGChart {
    /// A line chart of `series`, each in its own colour, with a legend when there are several.
    ///
    /// The x axis spans the data; the y axis spans it from 0 (or `yDomain` when given). Each point
    /// is marked, with its series, x and y as a hover title, when a series has at most 80 points.
    public func lines(_ series: [LineSeries], yDomain: ClosedRange<Double>? = nil) -> String {
        makingRoom(forLegend: series.map(\.name)).drawLines(series, yDomain: yDomain)
    }

    private func drawLines(_ series: [LineSeries], yDomain: ClosedRange<Double>?) -> String {
        let drawn = series.map { line in
            var line = line
            line.points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            line.band = line.band.filter { $0.x.isFinite && $0.low.isFinite && $0.high.isFinite }
            return line
        }
        let xs = drawn.flatMap { $0.points.map(\.x) + $0.band.map(\.x) }
        let ys = drawn.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } }
        guard !xs.isEmpty else { return empty("no data to draw") }
        let xDomain = Self.niceDomain(xs, fromZero: false)
        let x = xScale(xDomain)
        let y = yScale(yDomain ?? Self.niceDomain(ys, fromZero: true))
        var parts = axes(x: x, y: y, xTicks: Self.ticks(x.domain), yTicks: Self.ticks(y.domain))
        for (index, line) in drawn.enumerated() where line.band.count > 1 {
            let upper = line.band.map { "\(Self.number(x($0.x))),\(Self.number(y($0.high)))" }
            let lower = line.band.reversed().map { "\(Self.number(x($0.x))),\(Self.number(y($0.low)))" }
            parts.append(
                "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(Self.color(index))\" "
                    + "fill-opacity=\"0.18\" stroke=\"none\"/>")
        }
        for (index, line) in drawn.enumerated() {
            parts += path(line, color: Self.color(index), x: x, y: y)
        }
        parts += legend(drawn.enumerated().map { ($1.name, Self.color($0)) })
        return document(parts)
    }

    /// The polyline of one series and, for short series, a marker with a hover title per point.
    private func path(_ line: LineSeries, color: String, x: Scale, y: Scale) -> [String] {
        let coordinates = line.points.map { "\(Self.number(x($0.x))),\(Self.number(y($0.y)))" }
        var parts = [
            "<polyline points=\"\(coordinates.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" "
                + "stroke-width=\"2\" stroke-linejoin=\"round\"/>"
        ]
        guard line.points.count <= 80 else { return parts }
        for point in line.points {
            let title = "\(line.name): \(Self.label(point.x, xUnits)) \(xLabel), \(Self.label(point.y, yUnits))"
            parts.append(
                "<circle cx=\"\(Self.number(x(point.x)))\" cy=\"\(Self.number(y(point.y)))\" r=\"2.5\" "
                    + "fill=\"\(color)\"><title>\(Self.escape(title))</title></circle>")
        }
        return parts
    }
}
