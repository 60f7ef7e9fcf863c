import Foundation
import OrchardStore

/// Several runs side by side, one row each: what a method comparison quotes.
public struct Comparison: Sendable, Equatable {
    /// One run's figures.
    public struct Row: Sendable, Equatable, Encodable {
        /// What the row is called: the method and its distinguishing settings.
        public var label: String
        public var finalAccuracy: Double?
        public var bestAccuracy: Double?
        /// The global density of the last round that recorded one (nil: dense).
        public var finalDensity: Double?
        public var rounds: Int
        public var bytesUp: Int
        public var bytesDown: Int
        /// Floating-point operations of all clients' tasks, as their engines counted them.
        public var trainingFLOPs: Int
        /// The largest peak of live tensor bytes any client measured in a task.
        public var peakClientBytes: Int?
        /// Tasks clients refused because they did not fit their memory budget.
        public var refusedTasks: Int
        public var simSeconds: Double
        public var wallSeconds: Double
        /// Each figure clients reported beyond the standard ones (`topk_k`, `grown_weights`, ...):
        /// the mean of its per-round means, where finite.
        public var clientMetrics: [String: Double]

        enum CodingKeys: String, CodingKey {
            case label, rounds
            case finalAccuracy = "final_accuracy", bestAccuracy = "best_accuracy", finalDensity = "final_density"
            case bytesUp = "bytes_up", bytesDown = "bytes_down", trainingFLOPs = "training_flops"
            case peakClientBytes = "peak_client_bytes", refusedTasks = "refused_tasks"
            case simSeconds = "sim_seconds", wallSeconds = "wall_seconds", clientMetrics = "client_metrics"
        }

        /// The row of a run summary.
        public init(label: String, summary: RunSummary) {
            self.label = label
            finalAccuracy = summary.finalAccuracy
            bestAccuracy = summary.bestAccuracy
            finalDensity = summary.finalDensity
            rounds = summary.rounds
            bytesUp = summary.bytesUp
            bytesDown = summary.bytesDown
            trainingFLOPs = summary.clients.reduce(0) { $0 + $1.flops }
            peakClientBytes = summary.clients.compactMap(\.maxMeasuredPeakBytes).max()
            refusedTasks = summary.clients.reduce(0) { $0 + $1.refused }
            simSeconds = summary.simSeconds
            wallSeconds = summary.wallSeconds
            clientMetrics = [:]
            for series in summary.clientMetrics {
                if let mean = series.meanOverRounds, mean.isFinite { clientMetrics[series.name] = mean }
            }
        }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    /// The table as GitHub-flavoured Markdown, one row per run, in the order given.
    public func markdown() -> String {
        let header = [
            "method", "final acc.", "best acc.", "density", "bytes up", "bytes down", "up / round", "down / round",
            "training FLOPs", "peak client memory", "refused tasks", "simulated time",
        ]
        var lines = ["| " + header.joined(separator: " | ") + " |"]
        lines.append("|" + header.indices.map { $0 == 0 ? "---" : "---:" }.joined(separator: "|") + "|")
        for row in rows {
            let perRound = max(row.rounds, 1)
            let cells = [
                row.label, ReportFormat.percent(row.finalAccuracy), ReportFormat.percent(row.bestAccuracy),
                row.finalDensity.map { ReportFormat.decimal($0, 4) } ?? "dense", ReportFormat.bytes(row.bytesUp),
                ReportFormat.bytes(row.bytesDown), ReportFormat.bytes(row.bytesUp / perRound),
                ReportFormat.bytes(row.bytesDown / perRound), Self.flops(row.trainingFLOPs),
                ReportFormat.bytes(row.peakClientBytes), String(row.refusedTasks), ReportFormat.seconds(row.simSeconds),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n" + clientMetricsMarkdown()
    }

    /// A second table, when any run has client figures: one column per figure (the mean of its
    /// per-round means), a dash where a run's method does not report it.
    func clientMetricsMarkdown() -> String {
        let names = Set(rows.flatMap(\.clientMetrics.keys)).sorted()
        guard !names.isEmpty else { return "" }
        let header = ["method"] + names
        var lines = ["", "Client figures, mean over rounds:", ""]
        lines.append("| " + header.joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { $0 == 0 ? "---" : "---:" }.joined(separator: "|") + "|")
        for row in rows {
            let cells = [row.label] + names.map { ReportFormat.figure(row.clientMetrics[$0]) }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rows as one JSON array.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(rows), as: UTF8.self)
    }

    /// FLOPs with an SI prefix: `1.23 TFLOP`.
    static func flops(_ count: Int) -> String {
        let units: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        let value = Double(count)
        for (scale, prefix) in units where value >= scale {
            return ReportFormat.decimal(value / scale, 2) + " " + prefix + "FLOP"
        }
        return "\(count) FLOP"
    }
}
