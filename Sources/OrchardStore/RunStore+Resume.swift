import Foundation
import GRDB

/// Where a resumed run starts again, as `RunStore.prepareResume(run:at:)` leaves it.
public struct ResumePoint: Sendable, Equatable {
    /// The checkpoint to load, or `nil` to start again from the initial model.
    public var checkpoint: Checkpoint?
    /// The number of committed rounds after the checkpoint that were deleted, to be replayed.
    public var discardedRounds: Int

    /// The round to run next: the one after the checkpoint, or 1.
    public var nextRound: Int { (checkpoint?.round ?? 0) + 1 }
}

extension RunStore {
    /// The run's last committed round, or `nil` if it has none.
    public func lastCommittedRound(run: RunID) throws(StoreError) -> Int? {
        try read("reading the last round of run \(run)", run: run) { db in try lastRound(run, db) }
    }

    /// The run's latest checkpoint, with its state checked against its hash, or `nil` if it has none.
    public func latestCheckpoint(run: RunID) throws(StoreError) -> Checkpoint? {
        try read("reading the latest checkpoint of run \(run)", run: run) { db in try checkpoint(run, round: nil, db) }
    }

    /// The run's checkpoint of round `round`, checked against its hash, or `nil` if there is none.
    public func checkpoint(run: RunID, round: Int) throws(StoreError) -> Checkpoint? {
        try read("reading the checkpoint of round \(round) of run \(run)", run: run) { db in
            try checkpoint(run, round: round, db)
        }
    }

    /// The run's checkpoints without their blobs, oldest first.
    public func checkpoints(run: RunID) throws(StoreError) -> [CheckpointInfo] {
        try read("listing the checkpoints of run \(run)", run: run) { db in try Self.fetchCheckpointInfos(run, db) }
    }

    /// Deletes the run's rounds after `round`, with everything they wrote (client tasks, messages,
    /// layers, checkpoints), in one transaction; returns how many rounds were deleted.
    ///
    /// `after: 0` deletes every round.
    @discardableResult
    public func truncate(run: RunID, after round: Int) throws(StoreError) -> Int {
        try requireWritable()
        return try withStoreErrors(path: path, operation: "deleting the rounds of run \(run) after round \(round)") {
            try database.write { db in
                try requireRun(run, db)
                return try deleteRounds(run, after: round, db)
            }
        }
    }

    /// Readies a run that was interrupted (killed, stopped or failed) to continue, in one transaction.
    ///
    /// Finds the latest checkpoint and checks it, deletes the rounds committed after it (the
    /// coordinator replays them; a deterministic run gives the same rows again), sets the run's
    /// status back to `running`, clears its end time and counts the resume. A completed run
    /// cannot be resumed.
    public func prepareResume(run: RunID, at date: Date = Date()) throws(StoreError) -> ResumePoint {
        try requireWritable()
        return try withStoreErrors(path: path, operation: "preparing run \(run) to resume") {
            try database.write { db in
                guard
                    let status = try String.fetchOne(
                        db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue])
                else { throw StoreError.unknownRun(path: path, run: run) }
                guard status != RunStatus.completed.rawValue else {
                    throw StoreError.wrongRunState(path: path, run: run, detail: "is completed: nothing to resume")
                }
                let checkpoint = try checkpoint(run, round: nil, db)
                let discarded = try deleteRounds(run, after: checkpoint?.round ?? 0, db)
                let detail =
                    checkpoint.map { "resumed from the checkpoint of round \($0.round)" }
                    ?? "restarted from the beginning (no checkpoint)"
                try db.execute(
                    sql: """
                        UPDATE runs SET status = 'running', ended_at = NULL, status_detail = ?,
                            resume_count = resume_count + 1
                        WHERE id = ?
                        """,
                    arguments: ["\(detail) at \(ISO8601DateFormatter().string(from: date))", run.rawValue])
                return ResumePoint(checkpoint: checkpoint, discardedRounds: discarded)
            }
        }
    }

    /// Deletes the rounds after `round`; the foreign keys cascade to the rows that name them.
    private func deleteRounds(_ run: RunID, after round: Int, _ db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM rounds WHERE run = ? AND round > ?", arguments: [run.rawValue, round])
        return db.changesCount
    }

    /// The run's checkpoints without their blobs, oldest first.
    static func fetchCheckpointInfos(_ run: RunID, _ db: Database) throws -> [CheckpointInfo] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT round, sim_time, state_sha256, value_count, length(extra) AS extra_bytes, created_at
                FROM checkpoints WHERE run = ? ORDER BY round
                """,
            arguments: [run.rawValue])
        return try rows.map { row in
            CheckpointInfo(
                round: try row.decode(forColumn: "round"), simTime: try row.decode(forColumn: "sim_time"),
                stateSHA256: try row.decode(forColumn: "state_sha256"),
                valueCount: try row.decode(forColumn: "value_count"),
                extraBytes: try row.decode(forColumn: "extra_bytes"),
                createdAt: Date(timeIntervalSince1970: try row.decode(forColumn: "created_at")))
        }
    }

    /// The checkpoint of `round`, or the latest when `round` is `nil`, checked against its hash.
    func checkpoint(_ run: RunID, round: Int?, _ db: Database) throws -> Checkpoint? {
        let filter = round == nil ? "" : "AND round = ?"
        var arguments: StatementArguments = [run.rawValue]
        if let round { arguments += [round] }
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT round, sim_time, state, names, value_count, state_sha256, extra, created_at
                    FROM checkpoints WHERE run = ? \(filter) ORDER BY round DESC LIMIT 1
                    """,
                arguments: arguments)
        else { return nil }
        let number: Int = try row.decode(forColumn: "round")
        func damaged(_ detail: String) -> StoreError {
            .corruptCheckpoint(path: path, run: run, round: number, detail: detail)
        }
        let stateBytes: Data = try row.decode(forColumn: "state")
        guard let values = FloatBytes.floats(stateBytes) else {
            throw damaged("its state has \(stateBytes.count) bytes, not a whole number of Float32 values")
        }
        let valueCount: Int = try row.decode(forColumn: "value_count")
        guard values.count == valueCount else {
            throw damaged("its state holds \(values.count) values but value_count says \(valueCount)")
        }
        let entries: [CheckpointEntry]
        do {
            entries = try NameTableJSON.decode(try row.decode(forColumn: "names"))
        } catch {
            throw damaged("its name table is not valid JSON: \(error)")
        }
        let extra: Data? = try row.decode(forColumn: "extra")
        let state = CheckpointState(entries: entries, values: values, extra: extra.map { [UInt8]($0) })
        if let problem = state.inconsistency { throw damaged(problem) }
        let stored: String = try row.decode(forColumn: "state_sha256")
        let actual = state.sha256.hex
        guard stored == actual else { throw damaged("its state hashes to \(actual), but \(stored) was recorded") }
        return Checkpoint(
            run: run, round: number, simTime: try row.decode(forColumn: "sim_time"), state: state,
            stateSHA256: stored, createdAt: Date(timeIntervalSince1970: try row.decode(forColumn: "created_at")))
    }
}
