import GRDB

/// One answered task's time on its link, measured and as the virtual clock predicts it (a row of
/// `link_times`; the round is the commit's).
public struct LinkTimeRecord: Sendable, Equatable {
    /// The task's client.
    public var clientID: Int
    /// Seconds measured: the task's round trip at the coordinator less its time on the host.
    public var measuredSeconds: Double
    /// Seconds the virtual clock gives the task's transfers down and up.
    public var predictedSeconds: Double
    /// The task's bytes down and its result's bytes up, as the round's messages count them.
    public var bytesDown: Int
    public var bytesUp: Int

    /// A task's measured and predicted link time.
    public init(clientID: Int, measuredSeconds: Double, predictedSeconds: Double, bytesDown: Int, bytesUp: Int) {
        self.clientID = clientID
        self.measuredSeconds = measuredSeconds
        self.predictedSeconds = predictedSeconds
        self.bytesDown = bytesDown
        self.bytesUp = bytesUp
    }
}

/// The measured and predicted link times of one group's tasks in one round, summed.
public struct LinkTimeTotal: Sendable, Equatable {
    /// The round.
    public var round: Int
    /// The clients' group.
    public var group: String
    /// The tasks measured.
    public var tasks: Int
    /// Their measured seconds, summed.
    public var measuredSeconds: Double
    /// Their predicted seconds, summed.
    public var predictedSeconds: Double

    /// A group's round of link times.
    public init(round: Int, group: String, tasks: Int, measuredSeconds: Double, predictedSeconds: Double) {
        self.round = round
        self.group = group
        self.tasks = tasks
        self.measuredSeconds = measuredSeconds
        self.predictedSeconds = predictedSeconds
    }
}

extension RunStore {
    /// The run's link times summed per round and group, by round and then group; none when the run
    /// did not measure its links or the file predates the table.
    public func linkTimeTotals(run: RunID) throws(StoreError) -> [LinkTimeTotal] {
        try read("summing the link times of run \(run)", run: run) { db in try fetchLinkTimeTotals(run, db) }
    }

    /// Writes a round's link times.
    func insertLinkTimes(_ records: [LinkTimeRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO link_times (run, round, client, measured_seconds, predicted_seconds, bytes_down, bytes_up)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        for record in records {
            try insert.execute(arguments: [
                run.rawValue, round, record.clientID, record.measuredSeconds, record.predictedSeconds,
                record.bytesDown, record.bytesUp,
            ])
        }
    }

    /// What is wrong with a commit's link times, or `nil`.
    static func linkTimeProblem(in commit: RoundCommit) -> String? {
        var seen: Set<Int> = []
        for record in commit.linkTimes {
            let times = [record.measuredSeconds, record.predictedSeconds]
            if times.contains(where: { !$0.isFinite || $0 < 0 }) || record.bytesDown < 0 || record.bytesUp < 0 {
                return
                    "link time of client \(record.clientID): the times must be finite and, like the bytes, zero or more"
            }
            if !seen.insert(record.clientID).inserted { return "client \(record.clientID) has two link times" }
        }
        return nil
    }

    func fetchLinkTimeTotals(_ run: RunID, _ db: Database) throws -> [LinkTimeTotal] {
        guard holds(.linkTimes) else { return [] }
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT l.round AS round, c.group_name AS group_name, COUNT(*) AS tasks,
                    SUM(l.measured_seconds) AS measured, SUM(l.predicted_seconds) AS predicted
                FROM link_times l JOIN clients c ON c.run = l.run AND c.client = l.client
                WHERE l.run = ? GROUP BY l.round, c.group_name ORDER BY l.round, c.group_name
                """, arguments: [run.rawValue])
        return try rows.map { row in
            LinkTimeTotal(
                round: try row.decode(forColumn: "round"), group: try row.decode(forColumn: "group_name"),
                tasks: try row.decode(forColumn: "tasks"), measuredSeconds: try row.decode(forColumn: "measured"),
                predictedSeconds: try row.decode(forColumn: "predicted"))
        }
    }
}
