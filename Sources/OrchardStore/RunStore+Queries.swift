import GRDB

extension RunStore {
    /// The run's committed rounds, in order.
    public func rounds(run: RunID) throws(StoreError) -> [RoundRecord] {
        try read("reading the rounds of run \(run)", run: run) { db in try Self.fetchRounds(run, db) }
    }

    /// Everything round `round` of the run committed, or `nil` if the round is not in the file.
    ///
    /// The commit reads back as it was handed to `commitRound(_:run:)`, except that client tasks
    /// come ordered by client and task, layers by name, rejected-message counts by peer and code,
    /// and NaNs as `nil` (as NaN among a task's `metrics`); messages and host events keep their order.
    public func roundCommit(run: RunID, round: Int) throws(StoreError) -> RoundCommit? {
        try read("reading round \(round) of run \(run)", run: run) { db in
            let arguments: StatementArguments = [run.rawValue, round]
            guard
                let roundRow = try Row.fetchOne(
                    db, sql: "SELECT * FROM rounds WHERE run = ? AND round = ?", arguments: arguments)
            else { return nil }
            let metrics = try fetchTaskMetrics(run, round: round, db)
            let clientRounds = try Row.fetchAll(
                db, sql: "SELECT * FROM client_rounds WHERE run = ? AND round = ? ORDER BY client, task",
                arguments: arguments
            ).map { row in
                var record = try Self.clientRoundRecord(row)
                record.metrics = metrics[TaskKey(client: record.clientID, task: record.task)] ?? [:]
                return record
            }
            let messages = try Row.fetchAll(
                db, sql: "SELECT * FROM messages WHERE run = ? AND round = ? ORDER BY id", arguments: arguments
            ).map(Self.messageRecord)
            let layers = try Row.fetchAll(
                db, sql: "SELECT * FROM layers WHERE run = ? AND round = ? ORDER BY layer", arguments: arguments
            ).map { row in
                LayerRecord(
                    layer: try row.decode(forColumn: "layer"), density: try row.decode(forColumn: "density"),
                    parameters: try row.decode(forColumn: "parameters"))
            }
            return RoundCommit(
                round: try Self.roundRecord(roundRow), clientRounds: clientRounds, messages: messages, layers: layers,
                checkpoint: try checkpoint(run, round: round, db)?.state,
                hostEvents: try fetchHostEvents(run, round: round, db),
                peerRejections: try fetchPeerRejections(run, round: round, db),
                maskHealth: try fetchMaskHealth(run, round: round, db),
                personalEvaluations: try fetchPersonalEvaluations(run, round: round, db))
        }
    }

    /// The run's message bytes per round, by direction, for every committed round.
    public func roundTraffic(run: RunID) throws(StoreError) -> [RoundTraffic] {
        try read("summing the messages of run \(run) by round", run: run) { db in try Self.fetchRoundTraffic(run, db) }
    }

    /// The run's messages summed by direction, kind and encoding (down before up, then by name).
    public func trafficGroups(run: RunID) throws(StoreError) -> [TrafficGroup] {
        try read("summing the messages of run \(run) by kind", run: run) { db in try Self.fetchTrafficGroups(run, db) }
    }

    /// What each registered client did over the run, by client id.
    public func clientActivity(run: RunID) throws(StoreError) -> [ClientActivity] {
        try read("summing the activity of the clients of run \(run)", run: run) { db in
            try Self.fetchClientActivity(run, db)
        }
    }

    /// Runs `body` in a read transaction after checking that the run exists.
    func read<Value>(_ operation: String, run: RunID, _ body: (Database) throws -> Value) throws(StoreError) -> Value {
        try withStoreErrors(path: path, operation: operation) {
            try database.read { db in
                try requireRun(run, db)
                return try body(db)
            }
        }
    }
}

/// What a report reads of a run, taken in one read transaction so that the parts agree even while
/// the coordinator keeps committing rounds.
public struct RunOverview: Sendable, Equatable {
    /// The run's row.
    public var run: RunRecord
    /// Its committed rounds, in order.
    public var rounds: [RoundRecord]
    /// Its message bytes per round.
    public var roundTraffic: [RoundTraffic]
    /// Its messages by direction, kind and encoding.
    public var trafficGroups: [TrafficGroup]
    /// Each registered client's activity, by id.
    public var clients: [ClientActivity]
    /// Its checkpoints, without blobs, oldest first.
    public var checkpoints: [CheckpointInfo]
    /// The figures its clients reported that have no column of their own, by name.
    public var clientMetrics: [MetricSeries]
    /// Its client tasks per round, by status.
    public var roundTasks: [RoundTasks]
    /// Each host's history, by host id.
    public var hosts: [HostHistory]
    /// Its rejected messages by peer and error code.
    public var peerRejections: [PeerRejectionTotal]
    /// Its measured and predicted link times per round and group; none when it did not measure them.
    public var linkTimes: [LinkTimeTotal] = []
    /// What its masks left connected, per round that recorded it.
    public var maskHealth: [RoundMaskHealth]
    /// Each client's evaluation of its own model, by round and client (personalized methods).
    public var personalEvaluations: [PersonalEvaluationRecord] = []
}

extension RunStore {
    /// The run's row, rounds, traffic, client activity, checkpoints, client figures, host histories,
    /// rejected messages and client evaluations, read in one transaction.
    public func overview(run: RunID) throws(StoreError) -> RunOverview {
        try withStoreErrors(path: path, operation: "reading run \(run)") {
            try database.read { db in
                RunOverview(
                    run: try fetchRunRecord(run, db), rounds: try Self.fetchRounds(run, db),
                    roundTraffic: try Self.fetchRoundTraffic(run, db),
                    trafficGroups: try Self.fetchTrafficGroups(run, db),
                    clients: try Self.fetchClientActivity(run, db), checkpoints: try Self.fetchCheckpointInfos(run, db),
                    clientMetrics: try fetchMetricSeries(run, db), roundTasks: try Self.fetchRoundTasks(run, db),
                    hosts: try fetchHostHistories(run, db), peerRejections: try fetchPeerRejectionTotals(run, db),
                    linkTimes: try fetchLinkTimeTotals(run, db), maskHealth: try fetchMaskHealth(run, db),
                    personalEvaluations: try fetchPersonalEvaluations(run, round: nil, db))
            }
        }
    }
}
