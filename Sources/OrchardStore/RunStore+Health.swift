import GRDB

extension RunStore {
    /// The run's mask health per round, in round order; none when the file predates the tables.
    public func maskHealth(run: RunID) throws(StoreError) -> [RoundMaskHealth] {
        try read("reading the mask health of run \(run)", run: run) { db in try fetchMaskHealth(run, db) }
    }

    /// Writes a round's mask health (`mask_health` and its layers' `layer_health` rows).
    func insertMaskHealth(_ health: MaskHealthRecord?, round: Int, run: RunID, _ db: Database) throws {
        guard let health else { return }
        try db.execute(
            sql: "INSERT INTO mask_health (run, round, outputs, dead_outputs) VALUES (?, ?, ?, ?)",
            arguments: [run.rawValue, round, health.outputs, health.deadOutputs])
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO layer_health (run, round, position, layer, kept, weights, outputs, dead_outputs)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (position, layer) in health.layers.enumerated() {
            try insert.execute(arguments: [
                run.rawValue, round, position, layer.layer, layer.kept, layer.weights, layer.outputs, layer.deadOutputs,
            ])
        }
    }

    /// One round's mask health, or `nil` when the round recorded none or the file predates the tables.
    func fetchMaskHealth(_ run: RunID, round: Int, _ db: Database) throws -> MaskHealthRecord? {
        guard holds(.maskHealth) else { return nil }
        return try fetchMaskHealth(run, db, only: round).first?.health
    }

    /// Every round's mask health (or one round's), in round order.
    func fetchMaskHealth(_ run: RunID, _ db: Database, only round: Int? = nil) throws -> [RoundMaskHealth] {
        guard holds(.maskHealth) else { return [] }
        let filter = round == nil ? "" : " AND round = ?"
        let arguments: StatementArguments = round.map { [run.rawValue, $0] } ?? [run.rawValue]
        var layers: [Int: [LayerHealthRecord]] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT * FROM layer_health WHERE run = ?\(filter) ORDER BY round, position", arguments: arguments)
        {
            layers[try row.decode(forColumn: "round"), default: []].append(
                LayerHealthRecord(
                    layer: try row.decode(forColumn: "layer"), kept: try row.decode(forColumn: "kept"),
                    weights: try row.decode(forColumn: "weights"), outputs: try row.decode(forColumn: "outputs"),
                    deadOutputs: try row.decode(forColumn: "dead_outputs")))
        }
        return try Row.fetchAll(
            db, sql: "SELECT * FROM mask_health WHERE run = ?\(filter) ORDER BY round", arguments: arguments
        ).map { row in
            let number: Int = try row.decode(forColumn: "round")
            return RoundMaskHealth(
                round: number,
                health: MaskHealthRecord(
                    outputs: try row.decode(forColumn: "outputs"),
                    deadOutputs: try row.decode(forColumn: "dead_outputs"),
                    layers: layers[number] ?? []))
        }
    }

    /// What is wrong with a round's mask health, or `nil`.
    static func healthProblem(in health: MaskHealthRecord?) -> String? {
        guard let health else { return nil }
        guard (0...max(0, health.outputs)).contains(health.deadOutputs) else {
            return "mask health: \(health.deadOutputs) dead of \(health.outputs) outputs"
        }
        var names = Set<String>()
        for layer in health.layers {
            guard names.insert(layer.layer).inserted else { return "mask health names layer \(layer.layer) twice" }
            guard (0...max(0, layer.weights)).contains(layer.kept),
                (0...max(0, layer.outputs)).contains(layer.deadOutputs)
            else {
                return "mask health of \(layer.layer): \(layer.kept) kept of \(layer.weights) weights, "
                    + "\(layer.deadOutputs) dead of \(layer.outputs) outputs"
            }
        }
        return nil
    }
}
