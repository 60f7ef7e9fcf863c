import Foundation
import OrchardStore

/// The figures of a sweep: one row per cell, each figure's mean and sample standard deviation
/// over the cell's completed runs (one per seed).
public struct SweepSummary: Sendable, Encodable {
    /// How many of a run's last evaluations its final accuracy averages.
    public static let finalEvaluations = 5

    /// The mean and sample standard deviation (n - 1) of one figure over a cell's runs.
    public struct Statistic: Sendable, Equatable, Encodable {
        public var mean: Double
        /// `nil` with fewer than two values.
        public var sd: Double?
        /// The number of runs that had the figure.
        public var count: Int

        enum CodingKeys: String, CodingKey { case mean, sd, count = "n" }

        /// The statistic of `values`, or nil when there are none.
        public init?(_ values: [Double]) {
            guard !values.isEmpty else { return nil }
            count = values.count
            mean = values.reduce(0, +) / Double(values.count)
            let mean = mean
            sd =
                values.count > 1
                ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot() : nil
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(mean, forKey: .mean)
            try container.encode(sd, forKey: .sd)  // null rather than absent: one run has no spread
            try container.encode(count, forKey: .count)
        }
    }

    /// One combination of the sweep's axis values.
    public struct Cell: Sendable, Encodable {
        /// The cell's name, such as `fedtiny_5pct`.
        public var name: String
        /// Each axis's name with this cell's value label, in axis order.
        public var settings: [Setting]
        /// Runs planned (one per seed) and completed.
        public var plannedRuns: Int
        public var runs: Int
        /// The seeds of the completed runs.
        public var seeds: [UInt64]
        /// The mean accuracy of each run's last `finalEvaluations` evaluations.
        public var finalAccuracy: Statistic?
        public var bestAccuracy: Statistic?
        public var bytesUp: Statistic?
        public var bytesDown: Statistic?
        public var trainingFLOPs: Statistic?
        /// The largest peak any client measured in a task.
        public var peakClientBytes: Statistic?
        public var simSeconds: Statistic?

        enum CodingKeys: String, CodingKey {
            case name, settings, runs, seeds
            case plannedRuns = "planned_runs", finalAccuracy = "final_accuracy", bestAccuracy = "best_accuracy"
            case bytesUp = "bytes_up", bytesDown = "bytes_down", trainingFLOPs = "training_flops"
            case peakClientBytes = "peak_client_bytes", simSeconds = "sim_seconds"
        }

        /// The cell of the completed runs `runs` (seed and summary) out of `plannedRuns`.
        public init(name: String, settings: [Setting], plannedRuns: Int, runs: [(seed: UInt64, summary: RunSummary)]) {
            self.name = name
            self.settings = settings
            self.plannedRuns = plannedRuns
            self.runs = runs.count
            seeds = runs.map(\.seed)
            let summaries = runs.map(\.summary)
            finalAccuracy = Statistic(summaries.compactMap(SweepSummary.finalAccuracy))
            bestAccuracy = Statistic(summaries.compactMap(\.bestAccuracy))
            bytesUp = Statistic(summaries.map { Double($0.bytesUp) })
            bytesDown = Statistic(summaries.map { Double($0.bytesDown) })
            trainingFLOPs = Statistic(summaries.map { Double($0.clients.reduce(0) { $0 + $1.flops }) })
            peakClientBytes = Statistic(
                summaries.compactMap { $0.clients.compactMap(\.maxMeasuredPeakBytes).max() }.map(Double.init))
            simSeconds = Statistic(summaries.map(\.simSeconds))
        }
    }

    /// An axis's name and the label of a cell's value on it.
    public struct Setting: Sendable, Encodable {
        public var axis: String
        public var value: String

        public init(axis: String, value: String) {
            self.axis = axis
            self.value = value
        }
    }

    /// The sweep file.
    public var sweep: String
    public var cells: [Cell]

    public init(sweep: String, cells: [Cell]) {
        self.sweep = sweep
        self.cells = cells
    }

    enum CodingKeys: String, CodingKey { case sweep, cells, finalAccuracyDefinition = "final_accuracy_definition" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sweep, forKey: .sweep)
        try container.encode(Self.finalAccuracyDefinition, forKey: .finalAccuracyDefinition)
        try container.encode(cells, forKey: .cells)
    }

    /// What "final accuracy" means here, stated in both outputs.
    public static let finalAccuracyDefinition =
        "the mean test accuracy of each run's last \(finalEvaluations) evaluations; "
        + "mean and sample standard deviation (n - 1) over the cell's seeds"

    /// The mean accuracy of a run's last `finalEvaluations` evaluations, or nil if it has none.
    public static func finalAccuracy(_ summary: RunSummary) -> Double? {
        let last = summary.perRound.compactMap(\.record.testAccuracy).suffix(finalEvaluations)
        return last.isEmpty ? nil : last.reduce(0, +) / Double(last.count)
    }

    /// The summary as one JSON object, keys sorted, indented for reading.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// The summary as a Markdown table, one row per cell, with the definition of final accuracy.
    public func markdown() -> String {
        let axes = cells.first?.settings.map(\.axis) ?? []
        let header =
            ["cell"] + axes + [
                "runs", "final acc.", "best acc.", "bytes up", "bytes down", "training FLOPs", "peak client memory",
                "simulated time",
            ]
        var lines = [
            "# Sweep \(sweep)", "",
            "Final accuracy is \(Self.finalAccuracyDefinition); other figures are means (± sd) over the same runs.", "",
            "| " + header.joined(separator: " | ") + " |",
            "|" + header.indices.map { $0 <= axes.count ? "---" : "---:" }.joined(separator: "|") + "|",
        ]
        for cell in cells {
            let figures = [
                "\(cell.runs)/\(cell.plannedRuns)", Self.text(cell.finalAccuracy, ReportFormat.percent),
                Self.text(cell.bestAccuracy, ReportFormat.percent),
                Self.text(cell.bytesUp) { ReportFormat.bytes(Int($0.rounded())) },
                Self.text(cell.bytesDown) { ReportFormat.bytes(Int($0.rounded())) },
                Self.text(cell.trainingFLOPs) { Comparison.flops(Int($0.rounded())) },
                Self.text(cell.peakClientBytes) { ReportFormat.bytes(Int($0.rounded())) },
                Self.text(cell.simSeconds, ReportFormat.seconds),
            ]
            lines.append("| " + ([cell.name] + cell.settings.map(\.value) + figures).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `mean ± sd` in `format`, the mean alone with one run, `-` without any.
    static func text(_ statistic: Statistic?, _ format: (Double) -> String) -> String {
        guard let statistic else { return ReportFormat.missing }
        guard let sd = statistic.sd else { return format(statistic.mean) }
        return "\(format(statistic.mean)) ± \(format(sd))"
    }
}
