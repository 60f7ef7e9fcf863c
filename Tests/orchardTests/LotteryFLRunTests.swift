import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// LotteryFL end to end: the quickstart reaches the density with per-client accuracy recorded, and
/// a stopped run resumes with every client's mask from its checkpoint.
@Suite("LotteryFL end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct LotteryFLRunTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let method = "method={name: lotteryfl, density: 10%, prune_rate: 0.5, accuracy_threshold: 0.3}"

    @Test func theQuickstartEndsAtTheDensityAndRecordsEachClientsAccuracy() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("lotteryfl.sqlite")
        let run = try await OrchardProcess.run([
            "run", Self.packageRoot + "/topologies/quickstart.yaml", "--db", database, "--set", Self.method,
        ])
        #expect(run.status == 0, "\(run)")
        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        let density = try report.number("final_density")
        #expect(abs(density - 0.1) <= 0.01, "final density \(density)")
        // Ten classes: chance is 10%.
        #expect(try report.number("final_accuracy") > 0.1)
        let personal = try report.objects("personal_accuracy")
        #expect(personal.count == 20)
        let last = try #require(personal.last)
        #expect(try last.number("mean") > 0.1 && last.number("clients") >= 1)
        #expect(try last.number("min") <= last.number("p10") && last.number("p90") <= last.number("max"))

        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        let runID = try #require(try store.latestRun())
        let evaluations = try store.personalEvaluations(run: runID)
        #expect(evaluations.count == personal.reduce(0) { $0 + ((try? $1.integer("clients")) ?? 0) })
        #expect(evaluations.allSatisfy { (0...1).contains($0.accuracy) && $0.samples >= 1 })
        let names = try store.clientMetrics(run: runID).map(\.name)
        #expect(names.contains("pruned_weights") && !names.contains("personal_accuracy"))
        let text = try await OrchardProcess.run(["report", database]).standardOutput
        #expect(text.contains("Personal accuracy (each client's model on its held-out split"))
    }

    @Test func aStoppedRunResumesWithTheClientsMasks() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("lotteryfl.yaml")
        let method = "{name: lotteryfl, density: 20%, prune_rate: 0.5, accuracy_threshold: 0.2}"
        try smallTopology(rounds: 10, checkpointEvery: 3, method: method)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let whole = folder.file("whole.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", whole]).status == 0)
        let reference = try await OrchardProcess.run(["report", whole, "--json"]).report()

        let stopped = folder.file("stopped.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", stopped])
        try await waitForRound(5, in: stopped, of: run)
        Foundation.kill(run.process.processIdentifier, SIGINT)
        run.process.waitUntilExit()
        let resumed = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", stopped, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        let report = try await OrchardProcess.run(["report", stopped, "--json"]).report()
        #expect(try report.string("final_model_sha256") == reference.string("final_model_sha256"))
        #expect(try report.number("final_density") == reference.number("final_density"))
    }
}
