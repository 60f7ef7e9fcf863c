import Foundation
import GRDB

extension RunStore {
    /// Records a new run, with status `running`, and returns its id.
    @discardableResult
    public func startRun(_ info: RunInfo) throws(StoreError) -> RunID {
        try requireWritable()
        guard info.processes >= 0, info.plannedRounds >= 0, info.checkpointInterval >= 1 else {
            throw .invalidRecord(
                path: path,
                detail: "run '\(info.name)': processes (\(info.processes)) and planned rounds "
                    + "(\(info.plannedRounds)) must be zero or more, the checkpoint interval "
                    + "(\(info.checkpointInterval)) at least 1")
        }
        return try withStoreErrors(path: path, operation: "starting run '\(info.name)'") {
            try database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO runs (name, topology_yaml, topology_sha256, method, model, dataset, seed,
                            orchard_version, processes, planned_rounds, checkpoint_interval, started_at, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running')
                        """,
                    arguments: [
                        info.name, info.topologyYAML, info.topologySHA256, info.method, info.model, info.dataset,
                        Int64(bitPattern: info.seed), info.orchardVersion, info.processes, info.plannedRounds,
                        info.checkpointInterval, info.startedAt.timeIntervalSince1970,
                    ])
                return RunID(rawValue: db.lastInsertedRowID)
            }
        }
    }

    /// Records the run's logical clients, in one transaction; each id may be registered once.
    ///
    /// Clients must be registered before a round names them. A resumed run keeps its clients.
    public func registerClients(_ clients: [ClientRecord], run: RunID) throws(StoreError) {
        try requireWritable()
        try withStoreErrors(path: path, operation: "registering \(clients.count) clients of run \(run)") {
            try database.write { db in
                try requireRunning(run, db)
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT INTO clients (run, client, group_name, memory_budget_bytes, uplink_bps, downlink_bps,
                            latency_seconds, compute_flops, availability, train_samples, test_samples,
                            validation_samples)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                for client in clients {
                    try insert.execute(arguments: [
                        run.rawValue, client.clientID, client.group, client.memoryBudgetBytes,
                        client.uplinkBitsPerSecond, client.downlinkBitsPerSecond, client.latencySeconds,
                        client.computeFLOPsPerSecond, client.availability, client.trainSamples, client.testSamples,
                        client.validationSamples,
                    ])
                }
            }
        }
    }

    /// Ends the run with `status` (not `running`) and an optional detail, such as why it failed.
    public func finishRun(_ run: RunID, status: RunStatus, detail: String? = nil, at date: Date = Date())
        throws(StoreError)
    {
        try requireWritable()
        guard status != .running else {
            throw .invalidRecord(path: path, detail: "finishing run \(run) needs an end status, not 'running'")
        }
        try withStoreErrors(path: path, operation: "finishing run \(run)") {
            try database.write { db in
                try requireRunning(run, db)
                try db.execute(
                    sql: "UPDATE runs SET status = ?, status_detail = ?, ended_at = ? WHERE id = ?",
                    arguments: [status.rawValue, detail, date.timeIntervalSince1970, run.rawValue])
            }
        }
    }

    /// Every run in the file, oldest first.
    public func runs() throws(StoreError) -> [RunRecord] {
        try withStoreErrors(path: path, operation: "listing runs") {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map(Self.runRecord)
            }
        }
    }

    /// The most recently started run, or `nil` if the file has none.
    public func latestRun() throws(StoreError) -> RunID? {
        try withStoreErrors(path: path, operation: "finding the latest run") {
            try database.read { db in
                try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM runs").map(RunID.init(rawValue:))
            }
        }
    }

    /// The run `run` as stored.
    public func runRecord(_ run: RunID) throws(StoreError) -> RunRecord {
        try withStoreErrors(path: path, operation: "reading run \(run)") {
            try database.read { db in try fetchRunRecord(run, db) }
        }
    }

    /// The run's row, or `unknownRun`.
    func fetchRunRecord(_ run: RunID, _ db: Database) throws -> RunRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [run.rawValue]) else {
            throw StoreError.unknownRun(path: path, run: run)
        }
        return try Self.runRecord(row)
    }

    /// The run's clients, by id.
    public func clients(run: RunID) throws(StoreError) -> [ClientRecord] {
        try read("reading the clients of run \(run)", run: run) { db in try Self.fetchClients(run, db) }
    }

    /// Throws `unknownRun` unless the run exists.
    func requireRun(_ run: RunID, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run.rawValue]) != nil else {
            throw StoreError.unknownRun(path: path, run: run)
        }
    }

    /// Throws unless the run exists and its status is `running`.
    func requireRunning(_ run: RunID, _ db: Database) throws {
        guard
            let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [run.rawValue])
        else { throw StoreError.unknownRun(path: path, run: run) }
        guard status == RunStatus.running.rawValue else {
            throw StoreError.wrongRunState(
                path: path, run: run, detail: "is \(status), not running (resume it to write to it again)")
        }
    }

    /// The rows of `clients` of the run, by id.
    static func fetchClients(_ run: RunID, _ db: Database) throws -> [ClientRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM clients WHERE run = ? ORDER BY client", arguments: [run.rawValue])
            .map { row in
                ClientRecord(
                    clientID: try row.decode(forColumn: "client"), group: try row.decode(forColumn: "group_name"),
                    memoryBudgetBytes: try row.decode(forColumn: "memory_budget_bytes"),
                    uplinkBitsPerSecond: try row.decode(forColumn: "uplink_bps"),
                    downlinkBitsPerSecond: try row.decode(forColumn: "downlink_bps"),
                    latencySeconds: try row.decode(forColumn: "latency_seconds"),
                    computeFLOPsPerSecond: try row.decode(forColumn: "compute_flops"),
                    availability: try row.decode(forColumn: "availability"),
                    trainSamples: try row.decode(forColumn: "train_samples"),
                    testSamples: try row.decode(forColumn: "test_samples"),
                    validationSamples: try row.decode(forColumn: "validation_samples"))
            }
    }

    /// A `RunRecord` from a row of `runs`.
    static func runRecord(_ row: Row) throws -> RunRecord {
        let id: Int64 = try row.decode(forColumn: "id")
        let statusText: String = try row.decode(forColumn: "status")
        guard let status = RunStatus(rawValue: statusText) else {
            throw DatabaseError(message: "run \(id) has an unknown status '\(statusText)'")
        }
        let seed: Int64 = try row.decode(forColumn: "seed")
        let startedAt: Double = try row.decode(forColumn: "started_at")
        let endedAt: Double? = try row.decode(forColumn: "ended_at")
        let info = RunInfo(
            name: try row.decode(forColumn: "name"), topologyYAML: try row.decode(forColumn: "topology_yaml"),
            method: try row.decode(forColumn: "method"), model: try row.decode(forColumn: "model"),
            dataset: try row.decode(forColumn: "dataset"), seed: UInt64(bitPattern: seed),
            orchardVersion: try row.decode(forColumn: "orchard_version"),
            processes: try row.decode(forColumn: "processes"),
            plannedRounds: try row.decode(forColumn: "planned_rounds"),
            checkpointInterval: try row.decode(forColumn: "checkpoint_interval"),
            startedAt: Date(timeIntervalSince1970: startedAt))
        return RunRecord(
            id: RunID(rawValue: id), info: info, topologySHA256: try row.decode(forColumn: "topology_sha256"),
            status: status, statusDetail: try row.decode(forColumn: "status_detail"),
            endedAt: endedAt.map(Date.init(timeIntervalSince1970:)),
            resumeCount: try row.decode(forColumn: "resume_count"))
    }
}
