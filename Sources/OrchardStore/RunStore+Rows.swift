import GRDB

/// The queries and row decoding behind the public reads, each within a caller's transaction.
extension RunStore {
    /// The rows of `rounds` of the run, in order.
    static func fetchRounds(_ run: RunID, _ db: Database) throws -> [RoundRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM rounds WHERE run = ? ORDER BY round", arguments: [run.rawValue])
            .map(roundRecord)
    }

    /// The run's message sums per round, by direction, for every committed round.
    static func fetchRoundTraffic(_ run: RunID, _ db: Database) throws -> [RoundTraffic] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT r.round AS round,
                    COUNT(CASE WHEN m.direction = 'down' THEN 1 END) AS messages_down,
                    COUNT(CASE WHEN m.direction = 'up' THEN 1 END) AS messages_up,
                    COALESCE(SUM(CASE WHEN m.direction = 'down' THEN m.bytes END), 0) AS bytes_down,
                    COALESCE(SUM(CASE WHEN m.direction = 'up' THEN m.bytes END), 0) AS bytes_up,
                    SUM(m.analytic_bytes) AS analytic_bytes,
                    COALESCE(SUM(CASE WHEN m.analytic_bytes IS NOT NULL THEN m.bytes END), 0) AS bytes_with_analytic
                FROM rounds r LEFT JOIN messages m ON m.run = r.run AND m.round = r.round
                WHERE r.run = ?
                GROUP BY r.round ORDER BY r.round
                """,
            arguments: [run.rawValue])
        return try rows.map { row in
            RoundTraffic(
                round: try row.decode(forColumn: "round"), messagesDown: try row.decode(forColumn: "messages_down"),
                messagesUp: try row.decode(forColumn: "messages_up"),
                bytesDown: try row.decode(forColumn: "bytes_down"), bytesUp: try row.decode(forColumn: "bytes_up"),
                analyticBytes: try row.decode(forColumn: "analytic_bytes"),
                bytesWithAnalytic: try row.decode(forColumn: "bytes_with_analytic"))
        }
    }

    /// The run's message sums by direction, kind and encoding.
    static func fetchTrafficGroups(_ run: RunID, _ db: Database) throws -> [TrafficGroup] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT direction, kind, encoding, COUNT(*) AS messages, SUM(bytes) AS bytes,
                    SUM(analytic_bytes) AS analytic_bytes
                FROM messages WHERE run = ?
                GROUP BY direction, kind, encoding ORDER BY direction = 'up', kind, encoding
                """,
            arguments: [run.rawValue])
        return try rows.map { row in
            TrafficGroup(
                direction: try Self.direction(row), kind: try row.decode(forColumn: "kind"),
                encoding: try row.decode(forColumn: "encoding"), messages: try row.decode(forColumn: "messages"),
                bytes: try row.decode(forColumn: "bytes"), analyticBytes: try row.decode(forColumn: "analytic_bytes"))
        }
    }

    /// Each registered client's task outcomes, bytes and memory over the run.
    static func fetchClientActivity(_ run: RunID, _ db: Database) throws -> [ClientActivity] {
        let clients = try fetchClients(run, db)
        let tasks = try Dictionary(
            uniqueKeysWithValues: Row.fetchAll(
                db,
                sql: """
                    SELECT client, COUNT(DISTINCT round) AS rounds_sampled,
                        COUNT(CASE WHEN status = 'ok' THEN 1 END) AS ok,
                        COUNT(CASE WHEN status = 'dropped' THEN 1 END) AS dropped,
                        COUNT(CASE WHEN status = 'timeout' THEN 1 END) AS timed_out,
                        COUNT(CASE WHEN status = 'refused' THEN 1 END) AS refused,
                        COUNT(CASE WHEN status = 'error' THEN 1 END) AS failed,
                        COUNT(CASE WHEN status = 'rejected' THEN 1 END) AS rejected,
                        AVG(CASE WHEN status = 'ok' THEN loss END) AS mean_loss,
                        COALESCE(SUM(flops), 0) AS flops,
                        MAX(memory_budget_bytes) AS budget,
                        MAX(predicted_peak_bytes) AS predicted,
                        MAX(measured_peak_bytes) AS measured
                    FROM client_rounds WHERE run = ? GROUP BY client
                    """,
                arguments: [run.rawValue]
            ).map { row in (try row.decode(Int.self, forColumn: "client"), row) })
        let bytes = try Dictionary(
            uniqueKeysWithValues: Row.fetchAll(
                db,
                sql: """
                    SELECT client, COALESCE(SUM(CASE WHEN direction = 'down' THEN bytes END), 0) AS down,
                        COALESCE(SUM(CASE WHEN direction = 'up' THEN bytes END), 0) AS up
                    FROM messages WHERE run = ? AND client IS NOT NULL GROUP BY client
                    """,
                arguments: [run.rawValue]
            ).map { row in (try row.decode(Int.self, forColumn: "client"), row) })
        return try clients.map { client in
            let task = tasks[client.clientID]
            let traffic = bytes[client.clientID]
            func count(_ column: String) throws -> Int { try task?.decode(forColumn: column) ?? 0 }
            return ClientActivity(
                clientID: client.clientID, group: client.group,
                memoryBudgetBytes: try client.memoryBudgetBytes ?? task?.decode(forColumn: "budget"),
                roundsSampled: try count("rounds_sampled"), ok: try count("ok"), dropped: try count("dropped"),
                timedOut: try count("timed_out"), refused: try count("refused"), failed: try count("failed"),
                rejected: try count("rejected"),
                bytesDown: try traffic?.decode(forColumn: "down") ?? 0,
                bytesUp: try traffic?.decode(forColumn: "up") ?? 0,
                meanLoss: try task?.decode(forColumn: "mean_loss"), flops: try count("flops"),
                maxPredictedPeakBytes: try task?.decode(forColumn: "predicted"),
                maxMeasuredPeakBytes: try task?.decode(forColumn: "measured"))
        }
    }

    /// A `RoundRecord` from a row of `rounds`.
    static func roundRecord(_ row: Row) throws -> RoundRecord {
        RoundRecord(
            round: try row.decode(forColumn: "round"), phase: try row.decode(forColumn: "phase"),
            simStart: try row.decode(forColumn: "sim_start"), simSeconds: try row.decode(forColumn: "sim_seconds"),
            wallSeconds: try row.decode(forColumn: "wall_seconds"),
            coordinatorSeconds: try row.decode(forColumn: "coordinator_seconds"),
            sampled: try row.decode(forColumn: "sampled"), answered: try row.decode(forColumn: "answered"),
            dropped: try row.decode(forColumn: "dropped"), globalDensity: try row.decode(forColumn: "global_density"),
            testAccuracy: try row.decode(forColumn: "test_accuracy"), testLoss: try row.decode(forColumn: "test_loss"),
            trainLoss: try row.decode(forColumn: "train_loss"))
    }

    /// A `ClientRoundRecord` from a row of `client_rounds`.
    static func clientRoundRecord(_ row: Row) throws -> ClientRoundRecord {
        ClientRoundRecord(
            clientID: try row.decode(forColumn: "client"), task: try row.decode(forColumn: "task"),
            status: try status(try row.decode(forColumn: "status")),
            reason: try row.decode(forColumn: "reason"), samples: try row.decode(forColumn: "samples"),
            loss: try row.decode(forColumn: "loss"), accuracy: try row.decode(forColumn: "accuracy"),
            flops: try row.decode(forColumn: "flops"),
            memoryBudgetBytes: try row.decode(forColumn: "memory_budget_bytes"),
            predictedPeakBytes: try row.decode(forColumn: "predicted_peak_bytes"),
            measuredPeakBytes: try row.decode(forColumn: "measured_peak_bytes"),
            simSeconds: try row.decode(forColumn: "sim_seconds"), wallSeconds: try row.decode(forColumn: "wall_seconds")
        )
    }

    /// A task status from its `client_rounds.status` text.
    static func status(_ text: String) throws -> ClientRoundStatus {
        guard let status = ClientRoundStatus(rawValue: text) else {
            throw DatabaseError(message: "unknown client task status '\(text)'")
        }
        return status
    }

    /// A `MessageRecord` from a row of `messages`.
    static func messageRecord(_ row: Row) throws -> MessageRecord {
        MessageRecord(
            clientID: try row.decode(forColumn: "client"), direction: try direction(row),
            kind: try row.decode(forColumn: "kind"), encoding: try row.decode(forColumn: "encoding"),
            bytes: try row.decode(forColumn: "bytes"), envelopeBytes: try row.decode(forColumn: "envelope_bytes"),
            analyticBytes: try row.decode(forColumn: "analytic_bytes"))
    }

    /// The `direction` column of a row.
    static func direction(_ row: Row) throws -> MessageDirection {
        let text: String = try row.decode(forColumn: "direction")
        guard let direction = MessageDirection(rawValue: text) else {
            throw DatabaseError(message: "unknown message direction '\(text)'")
        }
        return direction
    }
}
