import GRDB

extension RunStore {
    /// Each host's announced version and clients and its events over the run, by host id; none
    /// when the file predates the table.
    public func hostHistories(run: RunID) throws(StoreError) -> [HostHistory] {
        try read("reading the host events of run \(run)", run: run) { db in try fetchHostHistories(run, db) }
    }

    /// The run's rejected messages summed by peer and error code, by peer and then code; none
    /// when the file predates the table.
    public func peerRejectionTotals(run: RunID) throws(StoreError) -> [PeerRejectionTotal] {
        try read("summing the rejected messages of run \(run)", run: run) { db in
            try fetchPeerRejectionTotals(run, db)
        }
    }

    /// The run's client tasks per round, counted by status, for every committed round.
    public func roundTasks(run: RunID) throws(StoreError) -> [RoundTasks] {
        try read("counting the tasks of run \(run) by round", run: run) { db in try Self.fetchRoundTasks(run, db) }
    }

    /// Writes a round's host events, numbered by their order in the commit.
    func insertHostEvents(_ records: [HostEventRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO host_events (run, round, seq, host_id, event, software_version, clients, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (seq, record) in records.enumerated() {
            try insert.execute(arguments: [
                run.rawValue, round, seq, record.hostID, record.event.rawValue, record.softwareVersion, record.clients,
                record.reason,
            ])
        }
    }

    /// Writes a round's rejected-message counts.
    func insertPeerRejections(_ records: [PeerRejectionRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO peer_rejections (run, round, peer, code, count, example) VALUES (?, ?, ?, ?, ?, ?)")
        for record in records {
            try insert.execute(arguments: [
                run.rawValue, round, record.peer, record.code, record.count, record.example,
            ])
        }
    }

    /// What is wrong with a commit's host events and rejected-message counts, or `nil`.
    static func peerProblem(in commit: RoundCommit) -> String? {
        for (index, event) in commit.hostEvents.enumerated() {
            if event.hostID.isEmpty { return "host event \(index) has an empty host id" }
            if let clients = event.clients, !IntegerRanges.isValid(clients) {
                return "host event \(index) (\(event.hostID)): clients '\(clients)' are not ranges such as 0-9,20"
            }
        }
        var seen: Set<[String]> = []
        for (index, rejection) in commit.peerRejections.enumerated() {
            if rejection.peer.isEmpty || rejection.code.isEmpty {
                return "peer rejection \(index) lacks a peer or a code"
            }
            if rejection.count < 0 {
                return "peer rejection \(index) (\(rejection.peer), \(rejection.code)) has a negative count"
            }
            if !seen.insert([rejection.peer, rejection.code]).inserted {
                return "peer \(rejection.peer) has two rejection records of code \(rejection.code)"
            }
        }
        return nil
    }

    /// The host events of one round, in order; none when the file predates the table.
    func fetchHostEvents(_ run: RunID, round: Int, _ db: Database) throws -> [HostEventRecord] {
        guard holds(.hostEvents) else { return [] }
        return try Row.fetchAll(
            db, sql: "SELECT * FROM host_events WHERE run = ? AND round = ? ORDER BY seq",
            arguments: [run.rawValue, round]
        ).map(Self.hostEventRecord)
    }

    /// The rejected-message counts of one round, by peer and code; none when the file predates the table.
    func fetchPeerRejections(_ run: RunID, round: Int, _ db: Database) throws -> [PeerRejectionRecord] {
        guard holds(.peerRejections) else { return [] }
        return try Row.fetchAll(
            db, sql: "SELECT * FROM peer_rejections WHERE run = ? AND round = ? ORDER BY peer, code",
            arguments: [run.rawValue, round]
        ).map(Self.peerRejectionRecord)
    }

    /// Every host's history over the run, by host id.
    func fetchHostHistories(_ run: RunID, _ db: Database) throws -> [HostHistory] {
        guard holds(.hostEvents) else { return [] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT * FROM host_events WHERE run = ? ORDER BY round, seq", arguments: [run.rawValue])
        var histories: [String: HostHistory] = [:]
        for row in rows {
            let record = try Self.hostEventRecord(row)
            var history =
                histories[record.hostID]
                ?? HostHistory(hostID: record.hostID, softwareVersion: nil, clients: nil, events: [])
            history.softwareVersion = record.softwareVersion ?? history.softwareVersion
            history.clients = record.clients ?? history.clients
            history.events.append(HostHistory.Event(round: try row.decode(forColumn: "round"), record: record))
            histories[record.hostID] = history
        }
        return histories.values.sorted { $0.hostID < $1.hostID }
    }

    /// The run's rejected messages summed by peer and code.
    func fetchPeerRejectionTotals(_ run: RunID, _ db: Database) throws -> [PeerRejectionTotal] {
        guard holds(.peerRejections) else { return [] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT * FROM peer_rejections WHERE run = ? ORDER BY peer, code, round", arguments: [run.rawValue]
        )
        var totals: [PeerRejectionTotal] = []
        for row in rows {
            let record = try Self.peerRejectionRecord(row)
            let round: Int = try row.decode(forColumn: "round")
            if let last = totals.last, last.peer == record.peer, last.code == record.code {
                let (sum, overflow) = last.count.addingReportingOverflow(record.count)
                totals[totals.count - 1].count = overflow ? .max : sum
                totals[totals.count - 1].rounds.append(round)
                totals[totals.count - 1].example = last.example ?? record.example
            } else {
                totals.append(
                    PeerRejectionTotal(
                        peer: record.peer, code: record.code, count: record.count, rounds: [round],
                        example: record.example))
            }
        }
        return totals
    }

    /// The run's tasks per round by status, for every committed round (a round without tasks has none).
    static func fetchRoundTasks(_ run: RunID, _ db: Database) throws -> [RoundTasks] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT r.round AS round, c.status AS status, COUNT(c.status) AS tasks
                FROM rounds r LEFT JOIN client_rounds c ON c.run = r.run AND c.round = r.round
                WHERE r.run = ?
                GROUP BY r.round, c.status ORDER BY r.round
                """,
            arguments: [run.rawValue])
        var counts: [RoundTasks] = []
        for row in rows {
            let round: Int = try row.decode(forColumn: "round")
            if counts.last?.round != round { counts.append(RoundTasks(round: round, byStatus: [:])) }
            let text: String? = try row.decode(forColumn: "status")
            guard let text else { continue }
            counts[counts.count - 1].byStatus[try status(text)] = try row.decode(forColumn: "tasks")
        }
        return counts
    }

    /// A `HostEventRecord` from a row of `host_events`.
    static func hostEventRecord(_ row: Row) throws -> HostEventRecord {
        let text: String = try row.decode(forColumn: "event")
        guard let event = HostEvent(rawValue: text) else {
            throw DatabaseError(message: "unknown host event '\(text)'")
        }
        return HostEventRecord(
            hostID: try row.decode(forColumn: "host_id"), event: event,
            softwareVersion: try row.decode(forColumn: "software_version"),
            clients: try row.decode(forColumn: "clients"),
            reason: try row.decode(forColumn: "reason"))
    }

    /// A `PeerRejectionRecord` from a row of `peer_rejections`.
    static func peerRejectionRecord(_ row: Row) throws -> PeerRejectionRecord {
        PeerRejectionRecord(
            peer: try row.decode(forColumn: "peer"), code: try row.decode(forColumn: "code"),
            count: try row.decode(forColumn: "count"), example: try row.decode(forColumn: "example"))
    }
}
