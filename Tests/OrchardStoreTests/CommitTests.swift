import Foundation
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// Writing rounds: what goes in comes back, a failed commit leaves nothing, and the rules hold.
@Suite("committing rounds")
struct CommitTests {
    @Test("a committed round reads back as it was written, checkpoint included")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        for round in 1...4 {
            var expected = SyntheticRun.commit(round: round)
            // Rows come back ordered by key: client rounds by client, layers by name.
            expected.layers.sort { $0.layer < $1.layer }
            #expect(try store.roundCommit(run: run, round: round) == expected)
        }
        #expect(try store.roundCommit(run: run, round: 5) == nil)
        #expect(try store.clients(run: run) == SyntheticRun.clients)
        #expect(try store.rounds(run: run).map(\.round) == [1, 2, 3, 4])
        #expect(try store.lastCommittedRound(run: run) == 4)
    }

    @Test("a commit that fails part-way leaves no row of the round", arguments: ["client", "layer", "message"])
    func atomic(_ failing: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 2)
        defer { try? store.close() }
        var commit = SyntheticRun.commit(round: 3)
        switch failing {
        case "client":
            // The same (round, client, task) twice: the primary key fails after the round row is in.
            commit.clientRounds.append(commit.clientRounds[0])
        case "layer":
            commit.layers.append(commit.layers[0])
        default:
            // A client that was never registered: the foreign key fails on the last message.
            commit.messages.append(
                MessageRecord(clientID: 99, direction: .up, kind: "result", encoding: "DENSE_F32", bytes: 10))
        }
        let error = #expect(throws: StoreError.self) { try store.commitRound(commit, run: run) }
        guard case .database(let path, let operation, _) = error else {
            Issue.record("expected a database error, got \(String(describing: error))")
            return
        }
        #expect(path == store.path)
        #expect(operation == "committing round 3 of run \(run)")
        #expect(try store.lastCommittedRound(run: run) == 2)
        #expect(try store.roundCommit(run: run, round: 3) == nil)
        #expect(
            try RunSummaryCounts(store, run)
                == RunSummaryCounts(rounds: 2, clientRounds: 6, messages: 12, layers: 4, clientMetrics: 4))

        // The store is still usable: the corrected round commits.
        try store.commitRound(SyntheticRun.commit(round: 3), run: run)
        #expect(try store.lastCommittedRound(run: run) == 3)
    }

    @Test("rounds must follow the last committed one")
    func order() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 2)
        defer { try? store.close() }
        for round in [1, 2] {
            let error = #expect(throws: StoreError.self) {
                try store.commitRound(SyntheticRun.commit(round: round), run: run)
            }
            #expect(error?.description.contains("does not follow the last committed round 2") == true)
        }
        #expect(try store.roundCommit(run: run, round: 2) == SyntheticRun.commit(round: 2).sortedLayers)
    }

    @Test("invalid records are refused before anything is written")
    func validation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 1)
        defer { try? store.close() }
        var zero = SyntheticRun.commit(round: 2)
        zero.round.round = 0
        var negative = SyntheticRun.commit(round: 2)
        negative.messages[0].bytes = -1
        var density = SyntheticRun.commit(round: 2)
        density.layers[0].density = 1.5
        var checkpoint = SyntheticRun.commit(round: 2)
        checkpoint.checkpoint?.values.removeLast()
        var duplicateName = SyntheticRun.commit(round: 2)
        duplicateName.checkpoint?.entries[1].name = "fc.weight"
        for (commit, mention) in [
            (zero, "numbered from 1"), (negative, "negative size"), (density, "density 1.5"),
            (checkpoint, "runs past the 9 values"), (duplicateName, "lists 'fc.weight' twice"),
        ] {
            let error = #expect(throws: StoreError.self) { try store.commitRound(commit, run: run) }
            guard case .invalidRecord(_, let detail) = error else {
                Issue.record("expected invalidRecord, got \(String(describing: error))")
                continue
            }
            #expect(detail.contains(mention), "\(detail)")
        }
        #expect(try store.lastCommittedRound(run: run) == 1)
    }

    @Test("a finished run takes no more rounds, and an unknown run is named")
    func runState() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        var fifth = SyntheticRun.commit(round: 4)
        fifth.round.round = 5
        let error = #expect(throws: StoreError.self) { try store.commitRound(fifth, run: run) }
        #expect(error?.description.contains("is completed, not running") == true)
        #expect(throws: StoreError.self) { try store.finishRun(run, status: .failed) }
        let unknown = RunID(rawValue: 42)
        #expect(throws: StoreError.unknownRun(path: store.path, run: unknown)) { try store.rounds(run: unknown) }
        #expect(throws: StoreError.unknownRun(path: store.path, run: unknown)) {
            try store.commitRound(SyntheticRun.commit(round: 1), run: unknown)
        }
        #expect(throws: StoreError.self) { try store.finishRun(run, status: .running) }
    }

    @Test("NaN figures are stored as missing, since SQLite has no NaN")
    func notANumber() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 0)
        defer { try? store.close() }
        var commit = SyntheticRun.commit(round: 1)
        commit.round.trainLoss = .nan
        commit.clientRounds[0].loss = .nan
        try store.commitRound(commit, run: run)
        let stored = try #require(try store.roundCommit(run: run, round: 1))
        #expect(stored.round.trainLoss == nil)
        #expect(stored.clientRounds[0].loss == nil)
    }

    @Test("a round of 1,000 messages and 1,000 client tasks commits whole")
    func largeRound() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("large.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(
            (0..<500).map {
                ClientRecord(
                    clientID: $0, group: "g\($0 % 4)", memoryBudgetBytes: nil, uplinkBitsPerSecond: 1e6,
                    downlinkBitsPerSecond: 1e6, latencySeconds: 0, computeFLOPsPerSecond: 1e9, trainSamples: 10)
            }, run: run)
        let messages = (0..<1_000).map { index in
            MessageRecord(
                clientID: index / 2, direction: index % 2 == 0 ? .down : .up, kind: index % 2 == 0 ? "task" : "result",
                encoding: "DENSE_F32", bytes: 1_000 + index, analyticBytes: index % 2 == 0 ? nil : 500)
        }
        let tasks = (0..<500).flatMap { client in
            ["train", "evaluate"].map {
                ClientRoundRecord(clientID: client, task: $0, status: .ok, samples: 10, loss: 1)
            }
        }
        let round = RoundRecord(
            round: 1, phase: "train", simStart: 0, simSeconds: 1, wallSeconds: 1, coordinatorSeconds: 0.1, sampled: 500,
            answered: 500, dropped: 0)
        try store.commitRound(RoundCommit(round: round, clientRounds: tasks, messages: messages), run: run)

        let stored = try #require(try store.roundCommit(run: run, round: 1))
        #expect(stored.messages == messages)
        #expect(stored.clientRounds.count == 1_000)
        let traffic = try store.roundTraffic(run: run)
        // Down: even indices, 1,000 + i for i = 0, 2, ..., 998; up: the odd ones.
        #expect(
            traffic == [
                RoundTraffic(
                    round: 1, messagesDown: 500, messagesUp: 500, bytesDown: 749_500, bytesUp: 750_000,
                    analyticBytes: 250_000, bytesWithAnalytic: 750_000)
            ])
        let activity = try store.clientActivity(run: run)
        #expect(activity.count == 500)
        #expect(activity[7].roundsSampled == 1 && activity[7].ok == 2)
        #expect(activity[7].bytesDown == 1_014 && activity[7].bytesUp == 1_015)
    }
}

/// Row counts of a run's tables, to check that nothing was left behind.
struct RunSummaryCounts: Equatable {
    var rounds: Int
    var clientRounds: Int
    var messages: Int
    var layers: Int
    var clientMetrics: Int

    init(rounds: Int, clientRounds: Int, messages: Int, layers: Int, clientMetrics: Int) {
        self.rounds = rounds
        self.clientRounds = clientRounds
        self.messages = messages
        self.layers = layers
        self.clientMetrics = clientMetrics
    }

    init(_ store: RunStore, _ run: RunID) throws {
        func count(_ table: StoreTable) throws -> Int {
            var rows = 0
            try store.exportRows(of: table, run: run) { _ in rows += 1 }
            return rows
        }
        self.init(
            rounds: try count(.rounds), clientRounds: try count(.clientRounds), messages: try count(.messages),
            layers: try count(.layers), clientMetrics: try count(.clientMetrics))
    }
}

extension RoundCommit {
    /// The commit with its layers in the order the store returns them.
    var sortedLayers: RoundCommit {
        var commit = self
        commit.layers.sort { $0.layer < $1.layer }
        return commit
    }
}
