import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// The report's mask health and candidate selections, in text, JSON and the layer chart's data.
@Suite("report of mask health")
struct ReportHealthTests {
    /// `SyntheticRun` with mask health in every round and, in round 2, four candidates scored by
    /// the clients that answered (validation samples 10 each): losses within `spread` of 2.3.
    static func write(to path: String, spread: Double) throws -> (RunStore, RunID) {
        let store = try RunStore.create(at: path)
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(SyntheticRun.clients, run: run)
        for round in 1...4 {
            var commit = SyntheticRun.commit(round: round)
            commit.maskHealth = MaskHealthRecord(
                outputs: 10, deadOutputs: round < 4 ? 7 : 2,
                layers: [
                    LayerHealthRecord(layer: "conv1.weight", kept: 150, weights: 150, outputs: 6, deadOutputs: 0),
                    LayerHealthRecord(layer: "fc3.weight", kept: 3 * round, weights: 840, outputs: 10, deadOutputs: 0),
                ])
            if round == 2 {
                for index in commit.clientRounds.indices where commit.clientRounds[index].status == .ok {
                    commit.clientRounds[index].metrics = ["validation_samples": 10]
                    for candidate in 0..<4 {
                        commit.clientRounds[index].metrics["loss_sum.\(candidate)"] =
                            10 * 2.3 * (1 + spread * Double(candidate) / 3)
                        commit.clientRounds[index].metrics["correct.\(candidate)"] = 1
                    }
                }
            }
            try store.commitRound(commit, run: run)
        }
        return (store, run)
    }

    @Test("indistinguishable candidates and dead classes are noted in text and JSON")
    func notes() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try Self.write(to: folder.file("run.sqlite"), spread: 0.001)
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        let selection = try #require(summary.candidateSelections.first)
        #expect(summary.candidateSelections.count == 1 && selection.round == 2)
        #expect(abs(selection.losses[0] - 2.3) < 1e-12 && abs(selection.losses[3] - 2.3023) < 1e-12)
        #expect(abs(selection.relativeSpread! - 0.001) < 1e-9)
        #expect(selection.accuracies == [0.1, 0.1, 0.1, 0.1])
        #expect(selection.isIndistinguishable())

        let text = summary.text()
        #expect(text.contains("Mask health (outputs with no path of kept weights from the input)"), "\(text)")
        #expect(text.contains("Note: the 4 candidates scored in round 2 lie within 0.10% of each other"), "\(text)")
        #expect(text.contains("Note: after round 4, 2 of 10 outputs have no path to the input"), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        // The share of kept weights shows the dense stem's part: 150 of 162 after round 4.
        #expect(lines.contains { $0.hasPrefix("conv1.weight") && $0.contains("92.59%") }, "\(text)")

        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(summary.json().utf8)) as? [String: Any])
        let health = try #require(object["mask_health"] as? [[String: Any]])
        #expect(health.count == 4 && health[0]["dead_outputs"] as? Int == 7 && health[3]["kept"] as? Int == 162)
        let selections = try #require(object["candidate_selections"] as? [[String: Any]])
        #expect(selections.first?["indistinguishable"] as? Bool == true)
        #expect((object["notes"] as? [String])?.count == 2)
    }

    @Test("distinct candidates raise no note; the layer chart follows the mask health in the network's order")
    func distinct() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try Self.write(to: folder.file("run.sqlite"), spread: 0.2)
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.candidateSelections.first?.isIndistinguishable() == false)
        #expect(summary.healthNotes.count == 1)
        let chart = try RunChartData(label: "run", summary: summary, store: store)
        #expect(chart.layers.map(\.name) == ["conv1.weight", "fc3.weight"])
        #expect(chart.layers[1].densities.map(\.density) == [3, 6, 9, 12].map { Double($0) / 840 })
        #expect(chart.hasLayerHistory)
    }
}
