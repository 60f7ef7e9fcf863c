import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// A method's own figures reach the run file and the report, end to end: FedTiny's top-K search.
@Suite("client metrics end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct ClientMetricsRunTests {
    /// Six rounds of FedTiny: two select, then train, adjust, train, adjust.
    ///
    /// Rounds 1 and 2 select among two candidates; rounds 4 and 6 adjust (delta 2) while the cosine
    /// schedule still moves weights (t_end 8); rounds 3 and 5 train. The MLP's dense first layer
    /// leaves room for the other weights only above a density of 37%.
    static let method = "{name: fedtiny, density: 50%, delta: 2, t_end: 8, candidates: 2, pretrain_epochs: 1}"

    @Test func fedTinyStoresTopKForItsAdjustmentRounds() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("fedtiny.yaml")
        try smallTopology(rounds: 6, checkpointEvery: 3, method: Self.method)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("fedtiny.sqlite")
        let outcome = try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", database])
        #expect(outcome.status == 0, "\(outcome)")

        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        let run = try #require(try store.latestRun())
        for round in 1...6 {
            let tasks = try #require(try store.roundCommit(run: run, round: round)).clientRounds.filter {
                $0.status == .ok
            }
            #expect(!tasks.isEmpty, "round \(round) has no answered task")
            for task in tasks {
                let topK = task.metrics["topk_k"]
                if round == 4 || round == 6 {
                    #expect(task.task == "adjust" && (topK ?? 0) > 0, "round \(round): \(task)")
                    #expect(task.metrics["topk_buffer_bytes"] != nil && task.metrics["topk_requested"] != nil)
                } else {
                    #expect(topK == nil, "round \(round): \(task)")
                }
                if round == 2 {
                    #expect(
                        task.metrics.keys.sorted() == [
                            "correct.0", "correct.1", "loss_sum.0", "loss_sum.1", "validation_samples",
                        ])
                }
            }
        }

        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        let series = try report.objects("client_metrics")
        let topK = try #require(series.first { $0.fields["name"] as? String == "topk_k" })
        #expect(try topK.objects("rounds").map { try $0.integer("round") } == [4, 6])
        let text = try await OrchardProcess.run(["report", database])
        #expect(text.status == 0 && text.standardOutput.contains("Client metrics"), "\(text)")
        #expect(text.standardOutput.split(separator: "\n").contains { $0.hasPrefix("topk_k ") }, "\(text)")
    }
}
