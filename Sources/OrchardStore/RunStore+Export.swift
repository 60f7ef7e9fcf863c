import GRDB

/// A table of the store, by its SQL name.
public enum StoreTable: String, CaseIterable, Sendable {
    case runs
    case clients
    case rounds
    case clientRounds = "client_rounds"
    case messages
    case layers
    case checkpoints
    case clientMetrics = "client_metrics"
    case hostEvents = "host_events"
    case peerRejections = "peer_rejections"
    case linkTimes = "link_times"
    case maskHealth = "mask_health"
    case layerHealth = "layer_health"
    case clientEvaluations = "client_evaluations"

    /// The condition selecting one run's rows.
    var runFilter: String { self == .runs ? "id = ?" : "run = ?" }

    /// The schema migration that creates the table.
    var migration: String {
        switch self {
        case .runs, .clients, .rounds, .clientRounds, .messages, .layers, .checkpoints: "v1"
        case .clientMetrics: "v2"
        case .hostEvents, .peerRejections: "v3"
        case .linkTimes: "v4"
        case .maskHealth, .layerHealth: "v5"
        case .clientEvaluations: "v6"
        }
    }

    /// The rows' order: the primary key, or insertion order for messages.
    var order: String {
        switch self {
        case .runs, .messages: "id"
        case .clients: "client"
        case .rounds, .checkpoints, .maskHealth: "round"
        case .clientRounds: "round, client, task"
        case .layers: "round, layer"
        case .clientMetrics: "round, client, task, name"
        case .hostEvents: "round, seq"
        case .peerRejections: "round, peer, code"
        case .linkTimes: "round, client"
        case .layerHealth: "round, position"
        case .clientEvaluations: "round, client"
        }
    }
}

/// One exported value: SQLite's storage classes, blobs excepted.
public enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

extension RunStore {
    /// The names of the columns `exportRows(of:run:_:)` gives for `table`, in order.
    ///
    /// Every column of the table is exported, including those later schemas add, except that a
    /// blob column (a checkpoint's `state` and `extra`) is replaced by its length in bytes, under
    /// the name `<column>_bytes`.
    public func exportColumns(of table: StoreTable) throws(StoreError) -> [String] {
        try withStoreErrors(path: path, operation: "reading the columns of table \(table.rawValue)") {
            try database.read { db in try Self.exportedColumns(table, db).map(\.name) }
        }
    }

    /// Streams the rows of `table` that belong to the run to `body`, in the order of the table's
    /// key, each with one value per name of `exportColumns(of:)`.
    ///
    /// A table the file lacks has no rows.
    public func exportRows(of table: StoreTable, run: RunID, _ body: ([StoreValue]) -> Void) throws(StoreError) {
        try read("exporting table \(table.rawValue) of run \(run)", run: run) { db in
            guard holds(table) else { return }
            let selections = try Self.exportedColumns(table, db).map(\.selection)
            let cursor = try Row.fetchCursor(
                db,
                sql: "SELECT \(selections.joined(separator: ", ")) FROM \(table.rawValue) "
                    + "WHERE \(table.runFilter) ORDER BY \(table.order)",
                arguments: [run.rawValue])
            while let row = try cursor.next() {
                body(
                    row.databaseValues.map { value in
                        switch value.storage {
                        case .null: .null
                        case .int64(let value): .integer(value)
                        case .double(let value): .real(value)
                        case .string(let value): .text(value)
                        case .blob(let value): .integer(Int64(value.count))
                        }
                    })
            }
        }
    }

    /// The exported name and the SQL selecting it, for each column of `table`.
    private static func exportedColumns(_ table: StoreTable, _ db: Database) throws -> [(
        name: String, selection: String
    )] {
        try Row.fetchAll(
            db, sql: "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", arguments: [table.rawValue]
        ).map { row in
            let name: String = try row.decode(forColumn: "name")
            let type: String = try row.decode(forColumn: "type")
            return type.uppercased() == "BLOB"
                ? (name: name + "_bytes", selection: "length(\(name)) AS \(name)_bytes") : (name: name, selection: name)
        }
    }
}
