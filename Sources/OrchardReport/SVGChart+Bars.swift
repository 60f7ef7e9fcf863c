/// Bars over named categories: one value per category for each of several series.
public struct BarSeries: Sendable, Equatable {
    public var name: String
    /// One value per category; nil leaves the bar out.
    public var values: [Double?]

    public init(name: String, values: [Double?]) {
        self.name = name
        self.values = values
    }
}

extension SVGChart {
    /// Bars stacked per category, series from the bottom up, with a legend.
    public func stackedBars(categories: [String], series: [BarSeries]) -> String {
        makingRoom(forLegend: series.map(\.name), minimum: 1).drawStackedBars(categories: categories, series: series)
    }

    /// Bars side by side per category, one per series, with a legend.
    public func groupedBars(categories: [String], series: [BarSeries]) -> String {
        makingRoom(forLegend: series.map(\.name), minimum: 1).drawGroupedBars(categories: categories, series: series)
    }

    private func drawStackedBars(categories: [String], series: [BarSeries]) -> String {
        let totals = categories.indices.map { index in series.reduce(0) { $0 + max(0, $1.values.value(at: index)) } }
        guard !categories.isEmpty, totals.contains(where: { $0 > 0 }) else { return empty("no data to draw") }
        let y = yScale(Self.niceDomain(totals, fromZero: true))
        let slot = (plot.right - plot.left) / Double(categories.count)
        var parts = axes(x: xScale(0...1), y: y, xTicks: [], yTicks: Self.ticks(y.domain))
        for index in categories.indices {
            var base = 0.0
            for (seriesIndex, bar) in series.enumerated() {
                let value = max(0, bar.values.value(at: index))
                guard value > 0 else { continue }
                let title = "\(categories[index]): \(bar.name) \(Self.label(value, yUnits))"
                parts.append(
                    rectangle(
                        x: plot.left + slot * (Double(index) + 0.1), width: slot * 0.8, from: y(base),
                        to: y(base + value), color: Self.color(seriesIndex), title: title))
                base += value
            }
        }
        parts += categoryLabels(categories)
        parts += legend(series.enumerated().map { ($1.name, Self.color($0)) }, minimum: 1)
        return document(parts)
    }

    private func drawGroupedBars(categories: [String], series: [BarSeries]) -> String {
        let values = series.flatMap { $0.values.compactMap { $0 } }
        guard !categories.isEmpty, !series.isEmpty, values.contains(where: { $0 > 0 }) else {
            return empty("no data to draw")
        }
        let y = yScale(Self.niceDomain(values, fromZero: true))
        let slot = (plot.right - plot.left) / Double(categories.count)
        let width = slot * 0.8 / Double(series.count)
        var parts = axes(x: xScale(0...1), y: y, xTicks: [], yTicks: Self.ticks(y.domain))
        for index in categories.indices {
            for (seriesIndex, bar) in series.enumerated() {
                guard index < bar.values.count, let value = bar.values[index], value.isFinite, value > 0 else {
                    continue
                }
                parts.append(
                    rectangle(
                        x: plot.left + slot * (Double(index) + 0.1) + width * Double(seriesIndex), width: width,
                        from: y(0), to: y(value), color: Self.color(seriesIndex),
                        title: "\(categories[index]): \(bar.name) \(Self.label(value, yUnits))"))
            }
        }
        parts += categoryLabels(categories)
        parts += legend(series.enumerated().map { ($1.name, Self.color($0)) }, minimum: 1)
        return document(parts)
    }

    /// A bar from the pixel height `from` to `to`, with a hover title.
    private func rectangle(x: Double, width: Double, from: Double, to: Double, color: String, title: String) -> String {
        "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(min(from, to)))\" width=\"\(Self.number(max(width, 0.5)))\" "
            + "height=\"\(Self.number(abs(from - to)))\" fill=\"\(color)\"><title>\(Self.escape(title))</title></rect>"
    }

    /// The categories' names under their slots, thinned so that at most about 20 are written.
    private func categoryLabels(_ categories: [String]) -> [String] {
        let slot = (plot.right - plot.left) / Double(categories.count)
        let every = max(1, (categories.count + 19) / 20)
        return categories.indices.filter { $0 % every == 0 }.map { index in
            Self.text(
                categories[index], x: plot.left + slot * (Double(index) + 0.5), y: plot.bottom + 16, anchor: "middle")
        }
    }
}

extension Array where Element == Double? {
    /// The finite value at `index`, or 0 when there is none.
    fileprivate func value(at index: Int) -> Double {
        guard index < count, let value = self[index], value.isFinite else { return 0 }
        return value
    }
}
