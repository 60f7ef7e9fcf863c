import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// The report's figures for `SyntheticRun`, each worked out by hand from the table in its documentation.
@Suite("run summary")
struct RunSummaryTests {
    @Test("every figure of the summary matches the hand-computed value")
    func figures() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let (store, run) = try SyntheticRun.write(to: path)
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)

        #expect(summary.file == path)
        #expect(summary.run.id == run)
        #expect(summary.run.info == SyntheticRun.info)
        #expect(summary.run.status == .completed)
        #expect(summary.run.topologySHA256 == SHA256.hash("name: synthetic\nrounds: 4\n".utf8).hex)
        #expect(summary.clientCount == 3)
        #expect(summary.rounds == 4)
        #expect(summary.lastRound == 4)
        // Rounds 1, 3 and 4 evaluated: 0.50, 0.75, 0.70.
        #expect(summary.finalAccuracy == 0.7)
        #expect(summary.finalAccuracyRound == 4)
        #expect(summary.finalTestLoss == 1.0)
        #expect(summary.bestAccuracy == 0.75)
        #expect(summary.bestAccuracyRound == 3)
        #expect(summary.finalDensity == 0.5)
        // Down: tasks 1000r + c over r = 1...4, c = 0...2 (30,012) plus four heartbeats of 18 (72).
        #expect(summary.bytesDown == 30_084)
        // Up: results of ok tasks, 500 + c: 1,503 + 500 + 1,001 + 1,002.
        #expect(summary.bytesUp == 4_006)
        // 12 tasks + 4 heartbeats + 8 results.
        #expect(summary.messages == 24)
        // Analytic 400 + c on the 8 results: 1,203 + 400 + 801 + 802, over the results' 4,006 bytes.
        #expect(summary.analyticMinBytes == 3_206)
        #expect(summary.bytesWithAnalytic == 4_006)
        // The virtual clock ends at 30 + 10.
        #expect(summary.simSeconds == 40)
        // Ended 100 s after it started, never resumed.
        #expect(summary.wallSeconds == 100)
        #expect(summary.roundsWallSeconds == 10)
        #expect(summary.coordinatorSeconds == 1)
        #expect(summary.coordinatorOverheadFraction == 0.1)
        #expect(summary.checkpointRound == 4)
        #expect(summary.finalModelSHA256 == SHA256.hash(littleEndianBytes(SyntheticRun.state(round: 4).values)).hex)

        #expect(summary.perRound.map(\.record.round) == [1, 2, 3, 4])
        #expect(summary.perRound.map(\.bytesDown) == [3_021, 6_021, 9_021, 12_021])
        #expect(summary.perRound.map(\.bytesUp) == [1_503, 500, 1_001, 1_002])
        #expect(summary.perRound.map(\.analyticMinBytes) == [1_203, 400, 801, 802])
        #expect(summary.perRound[1].record == SyntheticRun.commit(round: 2).round)

        #expect(
            summary.traffic == [
                TrafficGroup(
                    direction: .down, kind: "heartbeat", encoding: "none", messages: 4, bytes: 72, analyticBytes: nil),
                TrafficGroup(
                    direction: .down, kind: "task", encoding: "DENSE_F32", messages: 12, bytes: 30_012,
                    analyticBytes: nil),
                TrafficGroup(
                    direction: .up, kind: "result", encoding: "DENSE_F32", messages: 8, bytes: 4_006,
                    analyticBytes: 3_206),
            ])

        let expectedClients = [
            // Client 0: ok in every round, losses 2.0, 1.0, 0.5, 0.5; tasks down 1000 + 2000 + 3000 + 4000.
            ClientActivity(
                clientID: 0, group: "fast", memoryBudgetBytes: 1_000_000, roundsSampled: 4, ok: 4, dropped: 0,
                timedOut: 0,
                refused: 0, failed: 0, bytesDown: 10_000, bytesUp: 2_000, meanLoss: 1.0, flops: 4_000_000,
                maxPredictedPeakBytes: 540_000, maxMeasuredPeakBytes: 440_000),
            // Client 1: ok in rounds 1 and 3 (3.0, 1.5), dropped in 2, error in 4.
            ClientActivity(
                clientID: 1, group: "fast", memoryBudgetBytes: 1_000_000, roundsSampled: 4, ok: 2, dropped: 1,
                timedOut: 0,
                refused: 0, failed: 1, bytesDown: 10_004, bytesUp: 1_002, meanLoss: 2.25, flops: 2_000_000,
                maxPredictedPeakBytes: 540_001, maxMeasuredPeakBytes: 430_001),
            // Client 2: no registered budget, so the tasks' 2,000,000; ok in rounds 1 and 4 (4.0, 2.0).
            ClientActivity(
                clientID: 2, group: "slow", memoryBudgetBytes: 2_000_000, roundsSampled: 4, ok: 2, dropped: 0,
                timedOut: 1,
                refused: 1, failed: 0, bytesDown: 10_008, bytesUp: 1_004, meanLoss: 3.0, flops: 2_000_000,
                maxPredictedPeakBytes: 540_002, maxMeasuredPeakBytes: 440_002),
        ]
        #expect(summary.clients == expectedClients)
        #expect(summary.recordsMemory)
    }

    @Test("the JSON is one line, keys sorted, with every figure scripts compare and nulls for missing ones")
    func json() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let text = try RunSummary(store: store, run: run).json()
        #expect(!text.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["rounds"] as? Int == 4)
        #expect(number(object["final_accuracy"]) == 0.7)
        #expect(number(object["best_accuracy"]) == 0.75)
        #expect(object["bytes_up"] as? Int == 4_006)
        #expect(object["bytes_down"] as? Int == 30_084)
        #expect(object["analytic_min_bytes"] as? Int == 3_206)
        #expect(number(object["sim_seconds"]) == 40)
        #expect(number(object["wall_seconds"]) == 100)
        #expect(number(object["coordinator_overhead_fraction"]) == 0.1)
        #expect((object["final_model_sha256"] as? String)?.count == 64)
        #expect(object["seed"] as? UInt64 == 0xFEED_FACE_CAFE_BEEF)
        #expect(object["started_at"] as? String == "2027-01-15T08:00:00Z")
        #expect(object["method"] as? String == "fedavg")
        #expect(object["model"] as? String == "lenet5")
        #expect(object["status"] as? String == "completed")
        let clients = try #require(object["clients"] as? [[String: Any]])
        #expect(clients.count == 3)
        #expect(clients[2]["timeout"] as? Int == 1)
        #expect(clients[2]["memory_budget_bytes"] as? Int == 2_000_000)
        let rounds = try #require(object["per_round"] as? [[String: Any]])
        #expect(rounds.count == 4)
        #expect(rounds[1]["test_accuracy"] is NSNull)
        #expect(rounds[1]["bytes_down"] as? Int == 6_021)
        let metrics = try #require(object["client_metrics"] as? [[String: Any]])
        #expect(metrics.map { $0["name"] as? String } == ["missing_mask", "topk_k"])
        let topK = try #require(metrics[1]["rounds"] as? [[String: Any]])
        #expect(topK.map { $0["round"] as? Int } == [1, 2, 3, 4])
        #expect(topK[2]["clients"] as? Int == 2)
        #expect(number(topK[2]["mean"]) == 30.5 && number(topK[2]["min"]) == 30 && number(topK[2]["max"]) == 31)

        // Sorted keys: each key of the top-level object comes after the one before it.
        let keys = topLevelKeys(text)
        #expect(keys == keys.sorted())
        #expect(Set(keys) == Set(object.keys))
    }

    @Test("a run in progress has no end, wall time from its rounds, and no final hash without a last checkpoint")
    func runInProgress() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.run.status == .running)
        #expect(summary.run.endedAt == nil)
        #expect(summary.rounds == 3)
        #expect(summary.wallSeconds == 7.5)
        #expect(summary.finalAccuracy == 0.75)
        #expect(summary.checkpointRound == 2)
        #expect(summary.finalModelSHA256 == nil)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try summary.json().utf8)) as? [String: Any])
        #expect(object["final_model_sha256"] is NSNull)
        #expect(object["ended_at"] is NSNull)
        #expect(summary.text().contains("- (the latest checkpoint is of round 2)"))
    }

    @Test("a run without evaluations or analytic counts reports them as missing")
    func missingFigures() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("run.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        try store.commitRound(
            RoundCommit(
                round: RoundRecord(
                    round: 1, phase: "train", simStart: 0, simSeconds: 1, wallSeconds: 0, coordinatorSeconds: 0,
                    sampled: 0, answered: 0, dropped: 0)),
            run: run)
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.finalAccuracy == nil && summary.bestAccuracy == nil)
        #expect(summary.analyticMinBytes == nil)
        #expect(summary.coordinatorOverheadFraction == nil)
        #expect(summary.bytesUp == 0 && summary.bytesDown == 0 && summary.messages == 0)
        #expect(!summary.recordsMemory)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try summary.json().utf8)) as? [String: Any])
        for key in ["final_accuracy", "best_accuracy", "analytic_min_bytes", "coordinator_overhead_fraction"] {
            #expect(object[key] is NSNull, "\(key) should be null")
        }
    }

    /// A JSON number as a double, whether it was written with a fraction or not.
    func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    /// The values' binary32 bytes, least significant first, built without the store's helpers.
    func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
    }

    /// The keys of a one-line JSON object's top level, in the order they appear.
    func topLevelKeys(_ text: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var current = ""
        var previous: Character = " "
        for character in text {
            if inString {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                    previous = character
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                current = ""
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            case ":" where depth == 1 && previous == "\"": keys.append(current)
            default: break
            }
            previous = character
        }
        return keys
    }
}
