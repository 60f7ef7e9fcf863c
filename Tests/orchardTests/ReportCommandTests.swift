import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// `orchard report` on store files written through the store's API, and on files that are not stores.
@Suite("orchard report", .timeLimit(.minutes(3)))
struct ReportCommandTests {
    /// The keys that scripts comparing runs rely on.
    static let requiredKeys = [
        "rounds", "final_accuracy", "best_accuracy", "bytes_up", "bytes_down", "analytic_min_bytes", "sim_seconds",
        "wall_seconds", "coordinator_overhead_fraction", "final_model_sha256",
    ]

    @Test("--json prints one object with the figures of the run")
    func json() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        let finalState = try writeRun(to: path)

        let report = try await OrchardProcess.run(["report", path, "--json"]).report()
        for key in Self.requiredKeys { #expect(report.fields[key] != nil, "no key \(key)") }
        #expect(try report.integer("rounds") == 2)
        #expect(try report.number("final_accuracy") == 0.625)
        #expect(try report.number("best_accuracy") == 0.625)
        // Down: tasks of 1,000 + c bytes to both clients in both rounds; up: results of 600 + c.
        #expect(try report.integer("bytes_down") == 4_002)
        #expect(try report.integer("bytes_up") == 2_402)
        #expect(try report.integer("analytic_min_bytes") == 2_002)
        #expect(try report.number("sim_seconds") == 9)
        #expect(try report.number("wall_seconds") == 60)
        #expect(try report.number("coordinator_overhead_fraction") == 0.25)
        #expect(try report.string("final_model_sha256") == SHA256.hash(floats: finalState).hex)
        #expect(try report.string("status") == "completed")
        #expect(try report.objects("clients").count == 2)
        #expect(try report.objects("per_round").map { try $0.integer("round") } == [1, 2])
    }

    @Test("the text report and --csv write the summary and one file per table")
    func textAndCSV() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.file("run.sqlite")
        try writeRun(to: path)
        let exports = folder.file("tables")

        let outcome = try await OrchardProcess.run(["report", path, "--csv", exports])
        #expect(outcome.exitedNormally && outcome.status == 0, "\(outcome)")
        for piece in [
            "Rounds", "Final accuracy", "62.50% (round 2)", "Bytes down", "Clients",
            "wrote \(StoreTable.allCases.count) CSV files",
        ] {
            #expect(outcome.standardOutput.contains(piece), "no \"\(piece)\" in \(outcome)")
        }
        let rounds = try String(contentsOfFile: exports + "/rounds.csv", encoding: .utf8)
        #expect(rounds.hasPrefix("run,round,phase,"))
        #expect(rounds.split(separator: "\r\n").count == 3)
    }

    @Test("a missing file, a text file and a run without rounds are refused with the file's name")
    func refusals() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let missing = folder.file("missing.sqlite")
        let text = try folder.write("notes.txt", Array("rounds: 10\nclients: 4\n".utf8))
        let empty = folder.file("empty.sqlite")
        let store = try RunStore.create(at: empty)
        try store.startRun(Self.info)
        try store.close()
        let noRuns = folder.file("no-runs.sqlite")
        try RunStore.create(at: noRuns).close()

        for (file, mention) in [
            (missing, "\(missing): no such file"), (text, "\(text): not an Orchard database"),
            (empty, "\(empty): run 1 has no committed round yet"), (noRuns, "\(noRuns): the database holds no run"),
        ] {
            for arguments in [["report", file], ["report", file, "--json"]] {
                let outcome = try await OrchardProcess.run(arguments)
                #expect(outcome.exitedNormally, "crashed: \(outcome)")
                #expect(outcome.status == 1, "\(outcome)")
                #expect(outcome.standardOutput.isEmpty, "\(outcome)")
                #expect(outcome.standardError.hasPrefix("Error: \(mention)"), "\(outcome)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: missing), "the report created the file")
    }

    static let info = RunInfo(
        name: "cli", topologyYAML: "name: cli\n", method: "fedavg", model: "mlp", dataset: "synthetic",
        seed: 1, orchardVersion: "test", processes: 1, plannedRounds: 2, checkpointInterval: 1,
        startedAt: Date(timeIntervalSince1970: 1_700_000_000))

    /// Writes a finished run of two rounds and two clients; returns the final model's values.
    @discardableResult
    func writeRun(to path: String) throws -> [Float] {
        let store = try RunStore.create(at: path)
        defer { try? store.close() }
        let run = try store.startRun(Self.info)
        try store.registerClients(
            (0..<2).map {
                ClientRecord(
                    clientID: $0, group: "all", memoryBudgetBytes: 1 << 20, uplinkBitsPerSecond: 1e6,
                    downlinkBitsPerSecond: 1e6, latencySeconds: 0.1, computeFLOPsPerSecond: 1e9, trainSamples: 50)
            }, run: run)
        var state: [Float] = []
        for round in 1...2 {
            state = (0..<6).map { Float($0 * round) / 4 }
            let messages = (0..<2).flatMap { client in
                [
                    MessageRecord(
                        clientID: client, direction: .down, kind: "task", encoding: "DENSE_F32", bytes: 1_000 + client),
                    MessageRecord(
                        clientID: client, direction: .up, kind: "result", encoding: "DENSE_F32", bytes: 600 + client,
                        analyticBytes: 500 + client),
                ]
            }
            try store.commitRound(
                RoundCommit(
                    round: RoundRecord(
                        round: round, phase: "train", simStart: Double(round - 1) * 4.5, simSeconds: 4.5,
                        wallSeconds: 2,
                        coordinatorSeconds: 0.5, sampled: 2, answered: 2, dropped: 0,
                        testAccuracy: round == 1 ? 0.5 : 0.625, testLoss: 1),
                    clientRounds: (0..<2).map {
                        ClientRoundRecord(clientID: $0, task: "train", status: .ok, samples: 50)
                    },
                    messages: messages,
                    checkpoint: CheckpointState(
                        entries: [CheckpointEntry(name: "fc.weight", shape: [2, 3], kind: "weight", offset: 0)],
                        values: state)),
                run: run)
        }
        try store.finishRun(run, status: .completed, at: Date(timeIntervalSince1970: 1_700_000_060))
        return state
    }
}
