import Foundation
import GRDB
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// What resuming a killed coordinator relies on: the latest checkpoint, and deleting the rounds after it.
@Suite("resume")
struct ResumeTests {
    @Test("the latest checkpoint is the last one written, with its state, hash and time")
    func latestCheckpoint() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        let checkpoint = try #require(try store.latestCheckpoint(run: run))
        #expect(checkpoint.run == run)
        #expect(checkpoint.round == 2)
        // Round 2 started at 10 s of virtual time and lasted 12.
        #expect(checkpoint.simTime == 22)
        #expect(checkpoint.state == SyntheticRun.state(round: 2))
        #expect(checkpoint.stateSHA256 == SyntheticRun.state(round: 2).sha256.hex)
        #expect(try store.checkpoint(run: run, round: 1) == nil)
        #expect(try store.checkpoint(run: run, round: 2) == checkpoint)
        #expect(try store.checkpoints(run: run).map(\.round) == [2])
        #expect(try store.checkpoints(run: run).first?.valueCount == 10)
    }

    @Test("truncating after a checkpoint deletes the later rounds and everything they wrote")
    func truncate() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        #expect(try store.truncate(run: run, after: 2) == 1)
        #expect(try store.lastCommittedRound(run: run) == 2)
        #expect(
            try RunSummaryCounts(store, run)
                == RunSummaryCounts(rounds: 2, clientRounds: 6, messages: 12, layers: 4, clientMetrics: 4))
        #expect(try store.truncate(run: run, after: 2) == 0)

        // Replaying round 3 gives the same rows as before.
        try store.commitRound(SyntheticRun.commit(round: 3), run: run)
        #expect(try store.roundCommit(run: run, round: 3) == SyntheticRun.commit(round: 3).sortedLayers)

        #expect(try store.truncate(run: run, after: 0) == 3)
        #expect(try store.lastCommittedRound(run: run) == nil)
        #expect(try store.latestCheckpoint(run: run) == nil)
        #expect(try store.clients(run: run).count == 3, "truncating keeps the clients")
    }

    @Test("a killed run resumes from its latest checkpoint after reopening the file")
    func prepareResume() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        do {
            // The coordinator dies after round 3: the store is dropped without finishing the run.
            _ = try SyntheticRun.write(to: path, rounds: 3)
        }
        let store = try RunStore.open(at: path)
        defer { try? store.close() }
        let run = try #require(try store.latestRun())
        #expect(try store.runRecord(run).status == .running)
        let point = try store.prepareResume(run: run)
        #expect(point.checkpoint?.round == 2)
        #expect(point.checkpoint?.state == SyntheticRun.state(round: 2))
        #expect(point.discardedRounds == 1)
        #expect(point.nextRound == 3)
        let record = try store.runRecord(run)
        #expect(record.status == .running && record.resumeCount == 1 && record.endedAt == nil)
        #expect(record.statusDetail?.hasPrefix("resumed from the checkpoint of round 2") == true)

        try store.commitRound(SyntheticRun.commit(round: 3), run: run)
        try store.commitRound(SyntheticRun.commit(round: 4), run: run)
        try store.finishRun(run, status: .completed)
        #expect(try store.latestCheckpoint(run: run)?.state == SyntheticRun.state(round: 4))
        #expect(throws: StoreError.self) { try store.prepareResume(run: run) }
    }

    @Test("a run killed before its first checkpoint restarts from the beginning")
    func resumeWithoutCheckpoint() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 1)
        defer { try? store.close() }
        try store.finishRun(run, status: .stopped, detail: "interrupted")
        let point = try store.prepareResume(run: run)
        #expect(point.checkpoint == nil && point.discardedRounds == 1 && point.nextRound == 1)
        #expect(try store.runRecord(run).statusDetail?.hasPrefix("restarted from the beginning") == true)
    }

    @Test("a damaged checkpoint is detected by its hash and leaves the rounds in place")
    func damagedCheckpoint() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let (store, run) = try SyntheticRun.write(to: path, rounds: 3)
        try store.close()

        let database = try DatabaseQueue(path: path)
        try database.write { db in
            try db.execute(sql: "UPDATE checkpoints SET state = zeroblob(40) WHERE round = 2")
        }
        try database.close()

        let reopened = try RunStore.open(at: path)
        defer { try? reopened.close() }
        let error = #expect(throws: StoreError.self) { try reopened.prepareResume(run: run) }
        guard case .corruptCheckpoint(_, _, let round, let detail) = error else {
            Issue.record("expected corruptCheckpoint, got \(String(describing: error))")
            return
        }
        #expect(round == 2)
        #expect(detail.contains("hashes to"))
        #expect(try reopened.lastCommittedRound(run: run) == 3, "a failed resume deletes nothing")
        #expect(try reopened.runRecord(run).resumeCount == 0)
    }
}
