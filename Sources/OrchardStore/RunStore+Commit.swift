import Foundation
import GRDB

extension RunStore {
    /// Writes a round's rows (round, client tasks and their figures, messages, layers, host events,
    /// rejected-message counts, and the checkpoint if any) in one transaction: either all of them are in the file afterwards, or, if
    /// this throws, none.
    ///
    /// The round must come after the run's last committed round (a resumed run truncates first),
    /// and the clients it names must be registered. A NaN is stored as NULL, since SQLite has no NaN.
    /// The checkpoint's hash and blob are computed before the transaction starts, so that the
    /// write lock is held only for the inserts.
    public func commitRound(_ commit: RoundCommit, run: RunID) throws(StoreError) {
        try requireWritable()
        let number = commit.round.round
        if let problem = Self.problem(in: commit) {
            throw .invalidRecord(path: path, detail: "round \(number) of run \(run): \(problem)")
        }
        let checkpoint = try commit.checkpoint.map { state throws(StoreError) in
            try PreparedCheckpoint(state, path: path)
        }
        let committedAt = Date().timeIntervalSince1970
        try withStoreErrors(path: path, operation: "committing round \(number) of run \(run)") {
            try database.write { db in
                try requireRunning(run, db)
                if let last = try lastRound(run, db), number <= last {
                    throw StoreError.invalidRecord(
                        path: path,
                        detail: "round \(number) of run \(run) does not follow the last committed round \(last) "
                            + "(truncate the rounds after the checkpoint before replaying them)")
                }
                try insertRound(commit.round, run: run, committedAt: committedAt, db)
                try insertClientRounds(commit.clientRounds, round: number, run: run, db)
                try insertMessages(commit.messages, round: number, run: run, db)
                try insertLayers(commit.layers, round: number, run: run, db)
                try insertHostEvents(commit.hostEvents, round: number, run: run, db)
                try insertPeerRejections(commit.peerRejections, round: number, run: run, db)
                try insertLinkTimes(commit.linkTimes, round: number, run: run, db)
                try insertMaskHealth(commit.maskHealth, round: number, run: run, db)
                try insertPersonalEvaluations(commit.personalEvaluations, round: number, run: run, db)
                if let checkpoint {
                    let round = commit.round
                    try db.execute(
                        sql: """
                            INSERT INTO checkpoints (run, round, sim_time, state, names, value_count, state_sha256,
                                extra, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            run.rawValue, number, round.simStart + round.simSeconds, checkpoint.state,
                            checkpoint.names, checkpoint.valueCount, checkpoint.sha256, checkpoint.extra, committedAt,
                        ])
                }
            }
        }
    }

    /// The largest committed round of the run, or `nil` if none.
    func lastRound(_ run: RunID, _ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT MAX(round) FROM rounds WHERE run = ?", arguments: [run.rawValue])
    }

    private func insertRound(_ round: RoundRecord, run: RunID, committedAt: Double, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO rounds (run, round, phase, sim_start, sim_seconds, wall_seconds, coordinator_seconds,
                    sampled, answered, dropped, global_density, test_accuracy, test_loss, train_loss, committed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                run.rawValue, round.round, round.phase, round.simStart, round.simSeconds, round.wallSeconds,
                round.coordinatorSeconds, round.sampled, round.answered, round.dropped, round.globalDensity,
                round.testAccuracy, round.testLoss, round.trainLoss, committedAt,
            ])
    }

    private func insertClientRounds(_ records: [ClientRoundRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO client_rounds (run, round, client, task, status, reason, samples, loss, accuracy, flops,
                    memory_budget_bytes, predicted_peak_bytes, measured_peak_bytes, sim_seconds, wall_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for record in records {
            try insert.execute(arguments: [
                run.rawValue, round, record.clientID, record.task, record.status.rawValue, record.reason,
                record.samples, record.loss, record.accuracy, record.flops, record.memoryBudgetBytes,
                record.predictedPeakBytes, record.measuredPeakBytes, record.simSeconds, record.wallSeconds,
            ])
        }
        try insertClientMetrics(records, round: round, run: run, db)
    }

    /// Writes each task's other figures, by client, task and name, so that the file's bytes do not
    /// depend on the dictionaries' order.
    private func insertClientMetrics(_ records: [ClientRoundRecord], round: Int, run: RunID, _ db: Database) throws {
        let tasks = records.filter { !$0.metrics.isEmpty }
            .sorted { ($0.clientID, $0.task) < ($1.clientID, $1.task) }
        guard !tasks.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO client_metrics (run, round, client, task, name, value) VALUES (?, ?, ?, ?, ?, ?)")
        for record in tasks {
            for (name, value) in record.metrics.sorted(by: { $0.key < $1.key }) {
                try insert.execute(arguments: [run.rawValue, round, record.clientID, record.task, name, value])
            }
        }
    }

    private func insertMessages(_ records: [MessageRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO messages (run, round, client, direction, kind, encoding, bytes, envelope_bytes,
                    analytic_bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for record in records {
            try insert.execute(arguments: [
                run.rawValue, round, record.clientID, record.direction.rawValue, record.kind, record.encoding,
                record.bytes, record.envelopeBytes, record.analyticBytes,
            ])
        }
    }

    private func insertLayers(_ records: [LayerRecord], round: Int, run: RunID, _ db: Database) throws {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO layers (run, round, layer, density, parameters) VALUES (?, ?, ?, ?, ?)")
        for record in records {
            try insert.execute(arguments: [run.rawValue, round, record.layer, record.density, record.parameters])
        }
    }

    /// What is wrong with a commit before it reaches SQLite, or `nil`.
    ///
    /// The schema's constraints would catch most of these too; checking first gives messages that
    /// name the record instead of a constraint.
    private static func problem(in commit: RoundCommit) -> String? {
        let round = commit.round
        guard round.round >= 1 else { return "rounds are numbered from 1" }
        guard round.sampled >= 0, round.answered >= 0, round.dropped >= 0 else {
            return "sampled, answered and dropped must be zero or more"
        }
        guard round.simStart.isFinite, round.simSeconds >= 0, round.wallSeconds >= 0, round.coordinatorSeconds >= 0
        else { return "sim_start must be finite and the durations zero or more" }
        if let density = round.globalDensity, !(0...1).contains(density) {
            return "global density \(density) is not between 0 and 1"
        }
        for record in commit.clientRounds where record.clientID < 0 || record.samples < 0 {
            return "client \(record.clientID): the id and the samples must be zero or more"
        }
        for record in commit.clientRounds where record.metrics.keys.contains("") {
            return "client \(record.clientID): a figure has an empty name"
        }
        for (index, message) in commit.messages.enumerated() {
            let sizes = [message.bytes, message.envelopeBytes ?? 0, message.analyticBytes ?? 0]
            if sizes.contains(where: { $0 < 0 }) { return "message \(index) has a negative size" }
            if message.kind.isEmpty || message.encoding.isEmpty { return "message \(index) lacks a kind or encoding" }
        }
        for layer in commit.layers where !(0...1).contains(layer.density) {
            return "layer \(layer.layer): density \(layer.density) is not between 0 and 1"
        }
        return peerProblem(in: commit) ?? linkTimeProblem(in: commit) ?? healthProblem(in: commit.maskHealth)
            ?? personalProblem(in: commit)
    }
}

/// A checkpoint's columns, computed outside the write transaction.
private struct PreparedCheckpoint {
    let state: Data
    let names: String
    let valueCount: Int
    let sha256: String
    let extra: Data?

    init(_ checkpoint: CheckpointState, path: String) throws(StoreError) {
        if let problem = checkpoint.inconsistency {
            throw .invalidRecord(path: path, detail: "checkpoint: \(problem)")
        }
        state = FloatBytes.data(checkpoint.values)
        do {
            names = try NameTableJSON.encode(checkpoint.entries)
        } catch {
            throw .invalidRecord(path: path, detail: "checkpoint: the name table cannot be encoded: \(error)")
        }
        valueCount = checkpoint.values.count
        sha256 = checkpoint.sha256.hex
        extra = checkpoint.extra.map { Data($0) }
    }
}
