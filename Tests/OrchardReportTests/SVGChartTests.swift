import Foundation
import OrchardReport
import Testing

/// The SVG charts: points where the scales put them, ticks and labels in units, escaped names.
@Suite("SVG charts")
struct SVGChartTests {
    /// The numbers of the attribute `name` of every element `element` in `svg`.
    func attributes(_ name: String, of element: String, in svg: String) -> [String] {
        let pattern = "<\(element) [^>]*\(name)=\"([^\"]*)\""
        let regex = try! NSRegularExpression(pattern: pattern)
        let range = NSRange(svg.startIndex..., in: svg)
        return regex.matches(in: svg, range: range).compactMap { match in
            Range(match.range(at: 1), in: svg).map { String(svg[$0]) }
        }
    }

    @Test("a line's points lie where the scales put them")
    func linePoints() throws {
        var chart = SVGChart(title: "t", xLabel: "round", yLabel: "accuracy", yUnits: .percent)
        chart.width = 500
        chart.height = 300
        chart.margin = (top: 50, right: 50, bottom: 50, left: 50)
        let series = LineSeries(name: "a", points: [.init(x: 0, y: 0), .init(x: 5, y: 0.5), .init(x: 10, y: 1)])
        let svg = chart.lines([series], yDomain: 0...1)
        // x spans 0...10 over 50...450 pixels, y 0...1 over 250...50.
        #expect(attributes("points", of: "polyline", in: svg) == ["50,250 250,150 450,50"])
        #expect(attributes("cx", of: "circle", in: svg) == ["50", "250", "450"])
        #expect(attributes("cy", of: "circle", in: svg) == ["250", "150", "50"])
        #expect(svg.contains(">100%</text>"))
        #expect(svg.contains(">40%</text>") && svg.contains(">10</text>"))
    }

    @Test("a band is drawn as one polygon from the highs forward and the lows back")
    func bandPolygon() {
        var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y")
        chart.width = 300
        chart.height = 200
        chart.margin = (top: 0, right: 0, bottom: 100, left: 100)
        let series = LineSeries(
            name: "m", points: [.init(x: 0, y: 0.5), .init(x: 1, y: 0.5)],
            band: [.init(x: 0, low: 0.25, high: 0.75), .init(x: 1, low: 0.5, high: 1)])
        let svg = chart.lines([series], yDomain: 0...1)
        #expect(attributes("points", of: "polygon", in: svg) == ["100,25 300,0 300,50 100,75"])
    }

    @Test("stacked bars pile each series on the ones below")
    func stackedBars() {
        var chart = SVGChart(title: "t", xLabel: "round", yLabel: "tasks")
        chart.width = 300
        chart.height = 216
        chart.margin = (top: 0, right: 0, bottom: 100, left: 100)
        let svg = chart.stackedBars(
            categories: ["1", "2"],
            series: [BarSeries(name: "ok", values: [6, 10]), BarSeries(name: "rejected", values: [4, nil])])
        // One row of legend takes 16 pixels, so y spans 0...10 over 116...16 pixels; each category
        // has 100 pixels, its bar 80 wide.
        #expect(svg.contains("<rect x=\"110\" y=\"56\" width=\"80\" height=\"60\""))
        #expect(svg.contains("<rect x=\"110\" y=\"16\" width=\"80\" height=\"40\""))
        #expect(svg.contains("<rect x=\"210\" y=\"16\" width=\"80\" height=\"100\""))
        #expect(svg.contains(">rejected</text>") && svg.contains(">ok</text>"))
        #expect(attributes("x", of: "rect", in: svg).filter { $0 == "210" }.count == 1)
    }

    @Test("names are escaped in titles, legends and hover text")
    func escapesNames() {
        let chart = SVGChart(title: "<b>&\"x\"", xLabel: "x", yLabel: "y")
        let svg = chart.lines([
            LineSeries(name: "a<script>", points: [.init(x: 0, y: 1)]),
            LineSeries(name: "b'&", points: [.init(x: 1, y: 2)]),
        ])
        #expect(!svg.contains("<script>"))
        #expect(!svg.contains("<b>"))
        #expect(svg.contains("&lt;b&gt;&amp;&quot;x&quot;"))
        #expect(svg.contains("a&lt;script&gt;"))
        #expect(svg.contains("b&#39;&amp;"))
    }

    @Test("tick labels carry units: bytes as KB/MB/GB, FLOPs as G/T, fractions as percent")
    func tickLabels() {
        var chart = SVGChart(title: "t", xLabel: "bytes", yLabel: "FLOPs", xUnits: .bytes, yUnits: .flops)
        chart.width = 400
        let svg = chart.lines([LineSeries(name: "a", points: [.init(x: 0, y: 0), .init(x: 4e6, y: 3e12)])])
        #expect(svg.contains(">2 MB</text>"))
        #expect(svg.contains(">4 MB</text>"))
        #expect(svg.contains(">1 T</text>"))
        #expect(svg.contains(">3 T</text>"))
        let gigabytes = SVGChart(title: "t", xLabel: "x", yLabel: "y", xUnits: .bytes, yUnits: .flops)
            .lines([LineSeries(name: "a", points: [.init(x: 1.5e9, y: 5e8), .init(x: 2e9, y: 2.5e9)])])
        #expect(gigabytes.contains(">1.6 GB</text>") || gigabytes.contains(">1.5 GB</text>"))
        #expect(gigabytes.contains(">2 G</text>"))
    }

    @Test("a title longer than the chart is fitted to its width; a short one is left alone")
    func longTitlesFit() {
        let short = SVGChart(title: "Accuracy", xLabel: "x", yLabel: "y").lines([LineSeries(name: "a", points: [])])
        #expect(!short.contains("textLength"))
        var chart = SVGChart(title: String(repeating: "final accuracy by density ", count: 3), xLabel: "x", yLabel: "y")
        chart.width = 400
        let long = chart.lines([LineSeries(name: "a", points: [.init(x: 0, y: 0), .init(x: 1, y: 1)])])
        // 20 px of the width is left as a margin, 10 on each side of the centred title.
        #expect(attributes("textLength", of: "text", in: long) == ["380"])
    }

    @Test("sixteen series, the methods of a results sweep, get sixteen colours")
    func sixteenColours() {
        #expect(Set((0..<16).map(SVGChart.color)).count == 16)
        #expect(Set((0..<20).map(SVGChart.color)).count == 20)
        #expect(SVGChart.color(20) == SVGChart.color(0))
    }

    @Test("a chart with no data says so instead of drawing axes")
    func emptyChart() {
        let svg = SVGChart(title: "t", xLabel: "x", yLabel: "y").lines([LineSeries(name: "a", points: [])])
        #expect(svg.contains("no data to draw"))
        #expect(!svg.contains("<polyline"))
    }
}
