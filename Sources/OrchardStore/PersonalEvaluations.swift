import GRDB

/// One client's evaluation of its own model on its held-out split after a round (a row of
/// `client_evaluations`; the round is the commit's, or `round` when read for a whole run).
public struct PersonalEvaluationRecord: Sendable, Equatable {
    /// The round the evaluation belongs to.
    public var round: Int
    /// The client whose model and held-out split these are.
    public var clientID: Int
    /// The held-out samples evaluated, at least 1.
    public var samples: Int
    /// The share of them classified correctly, from 0 to 1.
    public var accuracy: Double
    /// Their mean loss, if reported.
    public var loss: Double?

    /// A client's evaluation.
    public init(round: Int, clientID: Int, samples: Int, accuracy: Double, loss: Double? = nil) {
        self.round = round
        self.clientID = clientID
        self.samples = samples
        self.accuracy = accuracy
        self.loss = loss
    }
}

extension RunStore {
    /// Every client evaluation of the run, by round and then client; none when the file
    /// predates the table.
    public func personalEvaluations(run: RunID) throws(StoreError) -> [PersonalEvaluationRecord] {
        try read("reading the client evaluations of run \(run)", run: run) { db in
            try fetchPersonalEvaluations(run, round: nil, db)
        }
    }

    /// The run's client evaluations of one round, or of every round when `round` is nil.
    func fetchPersonalEvaluations(_ run: RunID, round: Int?, _ db: Database) throws -> [PersonalEvaluationRecord] {
        guard holds(.clientEvaluations) else { return [] }
        let filter = round == nil ? "" : " AND round = ?"
        var arguments: StatementArguments = [run.rawValue]
        if let round { arguments += [round] }
        return try Row.fetchAll(
            db, sql: "SELECT * FROM client_evaluations WHERE run = ?\(filter) ORDER BY round, client",
            arguments: arguments
        ).map { row in
            PersonalEvaluationRecord(
                round: try row.decode(forColumn: "round"), clientID: try row.decode(forColumn: "client"),
                samples: try row.decode(forColumn: "samples"), accuracy: try row.decode(forColumn: "accuracy"),
                loss: try row.decode(forColumn: "loss"))
        }
    }

    /// Writes a round's client evaluations, by client.
    func insertPersonalEvaluations(_ records: [PersonalEvaluationRecord], round: Int, run: RunID, _ db: Database)
        throws
    {
        guard !records.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql:
                "INSERT INTO client_evaluations (run, round, client, samples, accuracy, loss) VALUES (?, ?, ?, ?, ?, ?)"
        )
        for record in records.sorted(by: { $0.clientID < $1.clientID }) {
            try insert.execute(arguments: [
                run.rawValue, round, record.clientID, record.samples, record.accuracy, record.loss,
            ])
        }
    }

    /// What is wrong with a commit's client evaluations, or `nil`.
    static func personalProblem(in commit: RoundCommit) -> String? {
        var seen = Set<Int>()
        for record in commit.personalEvaluations {
            let client = record.clientID
            if record.round != commit.round.round {
                return "client \(client)'s evaluation names round \(record.round)"
            }
            if client < 0 || !seen.insert(client).inserted {
                return "client \(client) has a negative id or two evaluations"
            }
            if record.samples < 1 { return "client \(client)'s evaluation counts \(record.samples) samples" }
            if !(0...1).contains(record.accuracy) {
                return "client \(client)'s accuracy \(record.accuracy) is not between 0 and 1"
            }
            if let loss = record.loss, !(loss >= 0) { return "client \(client)'s loss \(loss) is not zero or more" }
        }
        return nil
    }
}
