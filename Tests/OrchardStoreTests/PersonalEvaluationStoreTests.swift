import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// Each client's evaluation of its own model (schema v6): committed with its round, read back by
/// round and for the run, deleted with the round, summarised by the report, and checked before
/// it reaches SQLite.
@Suite("personal evaluations")
struct PersonalEvaluationStoreTests {
    /// `SyntheticRun`'s round with evaluations of clients 0 and 1 (0.5 + 0.1 r and 0.25 r).
    static func commit(round: Int) -> RoundCommit {
        var commit = SyntheticRun.commit(round: round)
        commit.personalEvaluations = [
            PersonalEvaluationRecord(round: round, clientID: 1, samples: 20, accuracy: 0.25 * Double(round), loss: 1),
            PersonalEvaluationRecord(round: round, clientID: 0, samples: 10, accuracy: 0.5 + 0.1 * Double(round)),
        ]
        return commit
    }

    static func write(to path: String, rounds: Int) throws -> (RunStore, RunID) {
        let store = try RunStore.create(at: path)
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(SyntheticRun.clients, run: run)
        for round in 1...rounds { try store.commitRound(commit(round: round), run: run) }
        return (store, run)
    }

    @Test("evaluations read back by round and client, and go with their round on resume")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try Self.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        let round3 = try #require(try store.roundCommit(run: run, round: 3))
        #expect(round3.personalEvaluations.map(\.clientID) == [0, 1])
        #expect(round3.personalEvaluations[1] == Self.commit(round: 3).personalEvaluations[0])
        #expect(round3.personalEvaluations[0].loss == nil)
        let all = try store.personalEvaluations(run: run)
        #expect(all.map(\.round) == [1, 1, 2, 2, 3, 3])
        // Resuming from round 2's checkpoint deletes round 3 and its evaluations.
        #expect(try store.prepareResume(run: run).nextRound == 3)
        #expect(try store.personalEvaluations(run: run).map(\.round) == [1, 1, 2, 2])
    }

    @Test("the report gives each round's mean and spread over clients in text, JSON and HTML")
    func report() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try Self.write(to: folder.file("run.sqlite"), rounds: 4)
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        // Round 4: accuracies 0.9 and 1.0: mean 0.95, sd 0.05, p10 0.91, median 0.95, p90 0.99.
        let last = try #require(summary.finalPersonalAccuracy)
        #expect(summary.personalAccuracy.map(\.round) == [1, 2, 3, 4])
        #expect(last.clients == 2 && abs(last.mean - 0.95) < 1e-12 && abs(last.standardDeviation - 0.05) < 1e-12)
        #expect(
            abs(last.p10 - 0.91) < 1e-12 && abs(last.p90 - 0.99) < 1e-12 && last.minimum == 0.9 && last.maximum == 1)
        let text = summary.text()
        #expect(text.contains("Personal accuracy (each client's model on its held-out split"))
        #expect(text.contains("mean 95.00%, p10 91.00%, p90 99.00% over 2 clients (round 4)"))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
        let lines = try #require(json["personal_accuracy"] as? [[String: Any]])
        // Round 2: accuracies 0.5 and 0.7.
        #expect(lines.count == 4 && lines[1]["round"] as? Int == 2 && lines[1]["clients"] as? Int == 2)
        for (key, value) in ["mean": 0.6, "sd": 0.1, "min": 0.5, "p10": 0.52, "median": 0.6, "p90": 0.68, "max": 0.7] {
            #expect(abs((lines[1][key] as? Double ?? -1) - value) < 1e-12, "\(key)")
        }
        let final = try #require(json["final_personal_accuracy"] as? [String: Any])
        #expect(final["round"] as? Int == 4)
        let html = HTMLReport.run(try RunChartData(label: "run", summary: summary, store: store), summary: summary)
        #expect(html.contains("Clients&#39; own accuracy"))
        #expect(html.contains("<td>4</td><td>2</td><td>0.9500</td>"))
    }

    @Test("a run without evaluations reports none")
    func absent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.personalAccuracy.isEmpty && !summary.text().contains("Personal accuracy"))
        let json = try summary.json()
        #expect(json.contains("\"final_personal_accuracy\":null,") && json.contains("\"personal_accuracy\":[]"))
    }

    @Test("an accuracy outside [0, 1], no samples, a second evaluation or another round's is refused")
    func refused() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 0)
        defer { try? store.close() }
        let good = PersonalEvaluationRecord(round: 1, clientID: 0, samples: 3, accuracy: 0.5)
        var cases: [(PersonalEvaluationRecord, String)] = []
        var bad = good
        bad.accuracy = 1.5
        cases.append((bad, "accuracy 1.5"))
        bad = good
        bad.samples = 0
        cases.append((bad, "counts 0 samples"))
        bad = good
        bad.round = 2
        cases.append((bad, "names round 2"))
        bad = good
        bad.loss = .nan
        cases.append((bad, "loss nan"))
        for (record, words) in cases {
            var commit = SyntheticRun.commit(round: 1)
            commit.personalEvaluations = [record]
            expectStoreError(mentioning: [words]) { try store.commitRound(commit, run: run) }
        }
        var twice = SyntheticRun.commit(round: 1)
        twice.personalEvaluations = [good, good]
        expectStoreError(mentioning: ["two evaluations"]) { try store.commitRound(twice, run: run) }
        #expect(try store.roundCommit(run: run, round: 1) == nil)
    }

    /// Runs `body`, expecting a store error whose description holds every one of `words`.
    func expectStoreError(mentioning words: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("no error; expected one mentioning \(words)")
        } catch {
            let text = "\(error)"
            for word in words { #expect(text.contains(word), "\(text)") }
        }
    }
}
