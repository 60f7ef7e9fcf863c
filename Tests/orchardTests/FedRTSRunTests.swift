import Foundation
import OrchardTestSupport
import Testing

/// FedRTS end to end on the quickstart: it keeps the density and learns past the majority class.
@Suite("FedRTS end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct FedRTSRunTests {
    @Test func theQuickstartKeepsTheDensityAndLearns() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("fedrts.sqlite")
        // 40 rounds: adjustments at 10, 20, 30 and 40; at 10% every dynamic method predicts the
        // majority class (31.2% of the test split) for the quickstart's first 16 rounds.
        let run = try await OrchardProcess.run([
            "run", LotteryFLRunTests.packageRoot + "/topologies/quickstart.yaml", "--db", database, "--set",
            "rounds=40", "--set", "method={name: fedrts, density: 10%}",
        ])
        #expect(run.status == 0, "\(run)")
        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        let density = try report.number("final_density")
        #expect(abs(density - 0.1) <= 0.01, "final density \(density)")
        #expect(try report.number("best_accuracy") > 0.35)
        let phases = try report.objects("per_round").map { try $0.string("phase") }
        #expect(phases.filter { $0 == "adjust" }.count == 4)
    }
}
