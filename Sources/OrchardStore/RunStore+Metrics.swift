import GRDB

extension RunStore {
    /// The run's client figures that have no column of their own, per figure and round, by name
    /// and then round.
    public func clientMetrics(run: RunID) throws(StoreError) -> [MetricSeries] {
        try read("summing the client figures of run \(run)", run: run) { db in try fetchMetricSeries(run, db) }
    }

    /// Each figure's per-round sums over the clients that reported it; none when the file predates
    /// the table.
    func fetchMetricSeries(_ run: RunID, _ db: Database) throws -> [MetricSeries] {
        guard holds(.clientMetrics) else { return [] }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT name, round, COUNT(*) AS clients, AVG(value) AS mean, MIN(value) AS minimum,
                    MAX(value) AS maximum
                FROM client_metrics WHERE run = ?
                GROUP BY name, round ORDER BY name, round
                """,
            arguments: [run.rawValue])
        var series: [MetricSeries] = []
        for row in rows {
            let name: String = try row.decode(forColumn: "name")
            let point = MetricSeries.Round(
                round: try row.decode(forColumn: "round"), clients: try row.decode(forColumn: "clients"),
                mean: try row.decode(forColumn: "mean"), minimum: try row.decode(forColumn: "minimum"),
                maximum: try row.decode(forColumn: "maximum"))
            if series.last?.name == name {
                series[series.count - 1].rounds.append(point)
            } else {
                series.append(MetricSeries(name: name, rounds: [point]))
            }
        }
        return series
    }

    /// The figures of each task of one round, by client and task; none when the file predates the table.
    func fetchTaskMetrics(_ run: RunID, round: Int, _ db: Database) throws -> [TaskKey: [String: Double]] {
        guard holds(.clientMetrics) else { return [:] }
        var metrics: [TaskKey: [String: Double]] = [:]
        let rows = try Row.fetchCursor(
            db, sql: "SELECT client, task, name, value FROM client_metrics WHERE run = ? AND round = ?",
            arguments: [run.rawValue, round])
        while let row = try rows.next() {
            let key = TaskKey(client: try row.decode(forColumn: "client"), task: try row.decode(forColumn: "task"))
            let value: Double? = try row.decode(forColumn: "value")
            metrics[key, default: [:]][try row.decode(forColumn: "name")] = value ?? .nan
        }
        return metrics
    }

    /// A task of a round: its client and kind.
    struct TaskKey: Hashable {
        let client: Int
        let task: String
    }
}
