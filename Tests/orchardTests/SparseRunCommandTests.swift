import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// Methods whose masks move, end to end: the same model with any number of processes, and after a
/// stop and a resume, whose checkpoint must carry the masks.
@Suite("sparse methods end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct SparseRunCommandTests {
    static let method = "{name: feddst, density: 20%, delta: 2, t_end: 10}"

    func finalHash(_ database: String) async throws -> String {
        try await OrchardProcess.run(["report", database, "--json"]).report().string("final_model_sha256")
    }

    /// The task messages of each round as (client, bytes, analytic bytes, encodings), in client order:
    /// the bytes counted down, which must not depend on placement. (The rounds' `bytes_down` also
    /// holds heartbeats, whose number follows the wall clock.)
    func taskBytes(_ database: String) throws -> [[String]] {
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        return try store.rounds(run: run).map { round in
            let commit = try #require(try store.roundCommit(run: run, round: round.round))
            return commit.messages.filter { $0.kind == "task" && $0.direction == .down }
                .map { "\($0.clientID ?? -1) \($0.bytes) \($0.analyticBytes ?? -1) \($0.encoding)" }.sorted()
        }
    }

    /// Every row of `client_metrics` (FedDST's `grown_weights`), which must not depend on
    /// placement or on a resume either.
    func clientMetrics(_ database: String) throws -> [[StoreValue]] {
        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        let run = try #require(try store.latestRun())
        var rows: [[StoreValue]] = []
        try store.exportRows(of: .clientMetrics, run: run) { rows.append($0) }
        return rows
    }

    @Test func processesAndAStopWithResumeGiveTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("sparse.yaml")
        try smallTopology(rounds: 16, checkpointEvery: 3, method: Self.method)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let one = folder.file("one.sqlite")
        let two = folder.file("two.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", one]).status == 0)
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", two]).status == 0)
        let reference = try await finalHash(one)
        #expect(try await finalHash(two) == reference)
        let bytes = try taskBytes(one)
        #expect(bytes.count == 16)
        #expect(try taskBytes(two) == bytes)
        let metrics = try clientMetrics(one)
        #expect(metrics.contains { $0[4] == .text("grown_weights") })
        #expect(try clientMetrics(two) == metrics)
        #expect(bytes.joined().contains { $0.contains("MASK_UNCHANGED") })
        let report = try await OrchardProcess.run(["report", two, "--json"]).report()
        #expect(try report.number("final_density") < 0.25)

        let stopped = folder.file("stopped.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", stopped])
        try await waitForRound(7, in: stopped, of: run)
        Foundation.kill(run.process.processIdentifier, SIGINT)
        run.process.waitUntilExit()
        let resumed = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", stopped, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await finalHash(stopped) == reference)
        #expect(try taskBytes(stopped) == bytes)
        #expect(try clientMetrics(stopped) == metrics)
    }

    /// A fixed mask goes down once per device: later tasks carry values and a reference, fewer bytes
    /// than the first round's, whichever process serves the device.
    @Test func aFixedMaskGoesDownOncePerDevice() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("fixed.yaml")
        try smallTopology(rounds: 4, method: "{name: fixed-mask, density: 5%, criterion: magnitude}")
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let one = folder.file("one.sqlite")
        let two = folder.file("two.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", one]).status == 0)
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", two]).status == 0)
        #expect(try await finalHash(two) == finalHash(one))
        let rounds = try taskBytes(one)
        #expect(try taskBytes(two) == rounds)
        func bytes(_ line: String) -> Int { Int(line.split(separator: " ")[1])! }
        let first = try #require(rounds.first?.map(bytes).min())
        #expect(rounds[0].allSatisfy { !$0.contains("MASK_UNCHANGED") })
        let held = rounds.dropFirst().joined().filter { $0.contains("MASK_UNCHANGED") }
        #expect(!held.isEmpty && held.allSatisfy { bytes($0) < first }, "\(rounds)")
        #expect(rounds.dropFirst().joined().allSatisfy { bytes($0) <= first + 16 }, "\(rounds)")
    }
}
