import Foundation
import OrchardReport
import Testing

/// A sweep's figures: one ladder per group of the other axes, curves per group, and the verdicts.
@Suite("Sweep figures")
struct SweepFiguresTests {
    /// A cell of the grid method × density × alpha whose final accuracies over its seeds are `finals`.
    func cell(_ method: String, _ density: String, _ alpha: String, _ finals: [Double]) -> SweepSummary.Cell {
        var cell = SweepSummary.Cell(
            name: "\(method)_\(density)_\(alpha)",
            settings: [
                .init(axis: "method", value: method), .init(axis: "method.density", value: density),
                .init(axis: "partition.alpha", value: alpha),
            ], plannedRuns: finals.count, runs: [])
        cell.runs = finals.count
        cell.finalAccuracy = SweepSummary.Statistic(finals)
        return cell
    }

    var summary: SweepSummary {
        SweepSummary(
            sweep: "ladder.yaml",
            cells: [
                cell("fedtiny", "10pct", "0.5", [0.90, 0.91, 0.92]),
                cell("fedtiny", "1pct", "0.5", [0.20, 0.30, 0.25]),
                cell("synflow", "10pct", "0.5", [0.80, 0.81, 0.82]),
                cell("synflow", "1pct", "0.5", [0.80, 0.85, 0.75]),
                cell("fedtiny", "10pct", "0.1", [0.50, 0.70, 0.60]), cell("fedtiny", "1pct", "0.1", [0.10]),
                cell("synflow", "10pct", "0.1", [0.56, 0.66, 0.61]), cell("synflow", "1pct", "0.1", [0.12]),
            ])
    }

    @Test("one ladder per alpha, and rounds and bytes curves per density and alpha")
    func figureFiles() throws {
        let figures = SweepFigures(seriesAxis: "method", ladderAxis: "method.density")
        let (files, markdown) = try figures.render(summary, runs: [:], link: "results/ladder")
        #expect(
            files.map(\.file) == [
                "ladder-0.5.svg", "ladder-0.1.svg", "rounds-10pct-0.5.svg", "bytes-10pct-0.5.svg",
                "rounds-1pct-0.5.svg", "bytes-1pct-0.5.svg", "rounds-10pct-0.1.svg", "bytes-10pct-0.1.svg",
                "rounds-1pct-0.1.svg", "bytes-1pct-0.1.svg",
            ])
        #expect(markdown.contains("![method.density ladder](results/ladder/ladder-0.5.svg)"))
        #expect(markdown.contains("### method.density 1pct, partition.alpha 0.1"))
        #expect(markdown.contains("| fedtiny | 3/3 | 91.00% ± 1.00% |"))
    }

    @Test("a ladder draws each method's mean final accuracy at each density, in density order")
    func ladderPoints() throws {
        let figures = SweepFigures(seriesAxis: "method", ladderAxis: "method.density")
        let (files, _) = try figures.render(summary, runs: [:], link: "f")
        let ladder = try #require(files.first { $0.file == "ladder-0.5.svg" }).svg
        // Each method's points carry hover titles in density order: 1% first.
        let fedtiny = ladder.ranges(of: "<title>fedtiny: ").count
        #expect(fedtiny == 2)
        let first = try #require(ladder.range(of: "fedtiny: 1% method.density, 25%"))
        let second = try #require(ladder.range(of: "fedtiny: 10% method.density, 91%"))
        #expect(first.lowerBound < second.lowerBound)
    }

    @Test("the reference is ahead, behind or within the spread by twice the standard error")
    func verdicts() throws {
        let figures = SweepFigures(seriesAxis: "method", reference: "fedtiny")
        let (_, markdown) = try figures.render(summary, runs: [:], link: "f")
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| method.density") }
        // 10%, 0.5: 91 ± 1 against 81 ± 1, a 10-point lead over an error of 0.82 points.
        #expect(rows[0].hasSuffix("| 10.00 pt | ahead |"))
        // 1%, 0.5: 25 ± 5 against 80 ± 5.
        #expect(rows[1].hasSuffix("| -55.00 pt | behind |"))
        // 10%, 0.1: 60 ± 10 against 61 ± 5, an error of 6.5 points.
        #expect(rows[2].hasSuffix("| -1.00 pt | within the spread |"))
        #expect(rows[3].hasSuffix("| one run: no spread |"))
    }

    @Test("labels with spaces name distinct files")
    func labelsWithSpaces() throws {
        var cells = summary.cells.filter { $0.settings[1].value == "10pct" }
        for index in cells.indices {
            cells[index].settings[2].value = cells[index].settings[2].value == "0.5" ? "mild skew" : "strong skew"
        }
        let (files, _) = try SweepFigures(seriesAxis: "method")
            .render(SweepSummary(sweep: "s.yaml", cells: cells), runs: [:], link: "f")
        #expect(
            files.map(\.file) == [
                "rounds-10pct-mild_skew.svg", "bytes-10pct-mild_skew.svg", "rounds-10pct-strong_skew.svg",
                "bytes-10pct-strong_skew.svg",
            ])
    }

    @Test("an axis or a reference the sweep lacks is an error naming what it has")
    func unknownNames() {
        #expect(throws: ReportError.unknownAxis("model", axes: ["method", "method.density", "partition.alpha"])) {
            try SweepFigures(seriesAxis: "model").render(summary, runs: [:], link: "f")
        }
        #expect(throws: ReportError.unknownAxis("method", axes: ["method.density", "partition.alpha"])) {
            try SweepFigures(seriesAxis: "method", ladderAxis: "method").render(summary, runs: [:], link: "f")
        }
        #expect(throws: ReportError.unknownValue("gmp", axis: "method", values: ["fedtiny", "synflow"])) {
            try SweepFigures(seriesAxis: "method", reference: "gmp").render(summary, runs: [:], link: "f")
        }
    }
}
