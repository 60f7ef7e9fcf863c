import Foundation
import OrchardTestSupport
import Testing

/// The methods that prune from dense or move masks, each on the quickstart at 10%.
///
/// Each runs with the settings `docs/methods.md` gives: the run completes, ends within 10% of the
/// density and learns past the majority class. FedRTS and LotteryFL have suites of their own.
@Suite("Methods on the quickstart", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct MethodsOnQuickstartTests {
    /// The quickstart's test split (seed 1) is 31.2% of one class: a model that answers that
    /// class alone scores it, so learning means doing better.
    static let majorityClass = 0.312

    @Test(arguments: [
        "{name: gmp, density: 10%}",
        "{name: granet, density: 10%}",
        "{name: imp, density: 10%, rescale_kept: true}",
        "{name: set, density: 10%, rescale_kept: true}",
        "{name: hidenseek, density: 10%}",
    ])
    func endsAtTheDensityAndLearns(method: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let database = folder.file("run.sqlite")
        let run = try await OrchardProcess.run([
            "run", LotteryFLRunTests.packageRoot + "/topologies/quickstart.yaml", "--db", database,
            "--set", "method=\(method)",
        ])
        #expect(run.status == 0, "\(run)")
        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        let density = try report.number("final_density")
        #expect(abs(density - 0.1) <= 0.01, "\(method): final density \(density)")
        let best = try report.number("best_accuracy")
        #expect(best > Self.majorityClass + 0.05, "\(method): best accuracy \(best)")
    }
}
