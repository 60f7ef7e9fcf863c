import OrchardStore

extension RunSummary {
    /// One group's link times summed over the run.
    public struct LinkTimeGroup: Sendable, Equatable {
        /// The clients' group.
        public var group: String
        /// The rounds in which some of its tasks were measured.
        public var rounds: Int
        /// The tasks measured.
        public var tasks: Int
        /// Their measured seconds, summed.
        public var measuredSeconds: Double
        /// Their predicted seconds, summed.
        public var predictedSeconds: Double

        /// A group's sums.
        public init(group: String, rounds: Int, tasks: Int, measuredSeconds: Double, predictedSeconds: Double) {
            self.group = group
            self.rounds = rounds
            self.tasks = tasks
            self.measuredSeconds = measuredSeconds
            self.predictedSeconds = predictedSeconds
        }
    }

    /// The link times summed per group over the run, by group name.
    public var linkTimeGroups: [LinkTimeGroup] {
        var groups: [String: LinkTimeGroup] = [:]
        for total in linkTimes {
            var group =
                groups[total.group]
                ?? LinkTimeGroup(group: total.group, rounds: 0, tasks: 0, measuredSeconds: 0, predictedSeconds: 0)
            group.rounds += 1
            group.tasks += total.tasks
            group.measuredSeconds += total.measuredSeconds
            group.predictedSeconds += total.predictedSeconds
            groups[total.group] = group
        }
        return groups.values.sorted { $0.group < $1.group }
    }

    /// Measured over predicted, or `nil` when nothing was predicted.
    static func ratio(_ measured: Double, _ predicted: Double) -> Double? {
        predicted > 0 ? measured / predicted : nil
    }

    /// One line per group: tasks, measured and predicted seconds per task, and their ratio.
    func linkGroupTable() -> TextTable {
        var table = TextTable([
            .text("group"), .number("rounds"), .number("tasks"), .number("measured s/task"),
            .number("predicted s/task"), .number("measured/predicted"),
        ])
        for group in linkTimeGroups {
            let tasks = Double(max(1, group.tasks))
            table.append([
                ReportFormat.oneLine(group.group), ReportFormat.grouped(group.rounds),
                ReportFormat.grouped(group.tasks),
                ReportFormat.decimal(group.measuredSeconds / tasks, 3),
                ReportFormat.decimal(group.predictedSeconds / tasks, 3),
                ReportFormat.decimal(Self.ratio(group.measuredSeconds, group.predictedSeconds), 2),
            ])
        }
        return table
    }

    /// One line per round and group: the same figures for the round's tasks.
    func linkRoundTable() -> TextTable {
        var table = TextTable([
            .number("round"), .text("group"), .number("tasks"), .number("measured s/task"),
            .number("predicted s/task"), .number("measured/predicted"),
        ])
        for total in linkTimes {
            let tasks = Double(max(1, total.tasks))
            table.append([
                "\(total.round)", ReportFormat.oneLine(total.group), ReportFormat.grouped(total.tasks),
                ReportFormat.decimal(total.measuredSeconds / tasks, 3),
                ReportFormat.decimal(total.predictedSeconds / tasks, 3),
                ReportFormat.decimal(Self.ratio(total.measuredSeconds, total.predictedSeconds), 2),
            ])
        }
        return table
    }
}
