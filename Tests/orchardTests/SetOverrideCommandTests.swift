import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// `--set KEY.PATH=VALUE` on the commands that read a topology.
@Suite("--set overrides", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct SetOverrideCommandTests {
    @Test func validateAppliesOverridesAndNamesTheirMistakes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 6).write(toFile: topology, atomically: true, encoding: .utf8)

        let valid = try await OrchardProcess.run(["validate", topology, "--set", "rounds=9", "--json"]).report()
        #expect(try valid.integer("rounds") == 9)

        let invalid = try await OrchardProcess.run([
            "validate", topology, "--set", "training.lr=abc", "--set", "groups[0].cont=3",
        ])
        #expect(invalid.status == 1, "\(invalid)")
        #expect(invalid.standardError.contains("--set training.lr=abc: training.lr: "), "\(invalid)")
        #expect(
            invalid.standardError.contains(
                "--set groups[0].cont=3: groups[0].cont: unknown key; did you mean 'count'?"),
            "\(invalid)")
        let malformed = try await OrchardProcess.run(["validate", topology, "--set", "rounds"])
        #expect(malformed.status != 0 && malformed.standardError.contains("--set rounds: expected KEY.PATH=VALUE"))
    }

    @Test func aRunRecordsItsEffectiveTopologyAndItsHostsGetTheOverrides() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 6).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("run.sqlite")
        // The hosts must train the same sparse model as the coordinator, or their results are refused.
        let outcome = try await OrchardProcess.run(
            [
                "run", topology, "--processes", "2", "--db", database, "--set", "rounds=3",
                "--set", "method={name: fixed-mask, density: 20%, criterion: magnitude}",
            ])
        #expect(outcome.status == 0, "\(outcome)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        let record = try store.runRecord(run)
        #expect(record.status == .completed)
        #expect(record.info.method == "fixed-mask")
        #expect(record.info.topologyYAML.hasPrefix("# \(topology) with --set rounds=3 --set method="))
        #expect(try store.rounds(run: run).count == 3)
        #expect(try store.rounds(run: run).allSatisfy { $0.answered > 0 })

        let other = try await OrchardProcess.run([
            "run", topology, "--processes", "1", "--db", database, "--resume", "--set", "rounds=4",
        ])
        #expect(other.status != 0)
        #expect(other.standardError.contains("another topology"), "\(other)")
    }

    @Test func coordinatorAndClientTakeTheTopologyOnceAsArgumentOrOption() async throws {
        let both = try await OrchardProcess.run(["coordinator", "a.yaml", "--topology", "b.yaml"])
        #expect(both.status != 0 && both.standardError.contains("give the topology file once"), "\(both)")
        let none = try await OrchardProcess.run(["client", "--connect", "tcp://127.0.0.1:1", "--clients", "0"])
        #expect(none.status != 0 && none.standardError.contains("give the topology file"), "\(none)")
    }
}
