import Foundation
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// The mask health of each round (schema v5): committed with its round, read back in the layers'
/// order, deleted with the round, and checked before it reaches SQLite.
@Suite("mask health records")
struct MaskHealthRecordTests {
    static func health(round: Int) -> MaskHealthRecord {
        MaskHealthRecord(
            outputs: 10, deadOutputs: round == 1 ? 7 : 0,
            layers: [
                LayerHealthRecord(layer: "conv1.weight", kept: 150, weights: 150, outputs: 6, deadOutputs: 0),
                LayerHealthRecord(
                    layer: "fc3.weight", kept: 2 + round, weights: 840, outputs: 10, deadOutputs: 8 - round),
            ])
    }

    static func commit(round: Int) -> RoundCommit {
        var commit = SyntheticRun.commit(round: round)
        commit.maskHealth = health(round: round)
        return commit
    }

    @Test("each round's health reads back with its round, layers in the network's order, and is deleted with it")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("run.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(SyntheticRun.clients, run: run)
        for round in 1...3 { try store.commitRound(Self.commit(round: round), run: run) }
        #expect(try store.roundCommit(run: run, round: 2)?.maskHealth == Self.health(round: 2))
        #expect(try store.maskHealth(run: run).map(\.round) == [1, 2, 3])
        #expect(try store.maskHealth(run: run).first?.health.layers.map(\.layer) == ["conv1.weight", "fc3.weight"])
        #expect(
            try store.overview(run: run).maskHealth.last == RoundMaskHealth(round: 3, health: Self.health(round: 3)))
        #expect(Self.health(round: 3).kept == 155)

        // The checkpoint of round 2 is the latest: round 3 goes with its health.
        #expect(try store.prepareResume(run: run).nextRound == 3)
        #expect(try store.maskHealth(run: run).map(\.round) == [1, 2])
        var columns = try store.exportColumns(of: .layerHealth)
        #expect(columns == ["run", "round", "position", "layer", "kept", "weights", "outputs", "dead_outputs"])
        var rows = 0
        try store.exportRows(of: .layerHealth, run: run) { _ in rows += 1 }
        #expect(rows == 4)
        columns = try store.exportColumns(of: .maskHealth)
        #expect(columns == ["run", "round", "outputs", "dead_outputs"])
    }

    @Test(
        "impossible figures are refused with the layer named",
        arguments: [
            (MaskHealthRecord(outputs: 10, deadOutputs: 11, layers: []), "11 dead of 10 outputs"),
            (
                MaskHealthRecord(
                    outputs: 10, deadOutputs: 0,
                    layers: [LayerHealthRecord(layer: "fc.weight", kept: 9, weights: 8, outputs: 2, deadOutputs: 0)]),
                "fc.weight: 9 kept of 8 weights"
            ),
            (
                MaskHealthRecord(
                    outputs: 10, deadOutputs: 0,
                    layers: [
                        LayerHealthRecord(layer: "fc.weight", kept: 1, weights: 8, outputs: 2, deadOutputs: 0),
                        LayerHealthRecord(layer: "fc.weight", kept: 1, weights: 8, outputs: 2, deadOutputs: 0),
                    ]),
                "names layer fc.weight twice"
            ),
        ])
    func invalid(_ case: (health: MaskHealthRecord, problem: String)) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("run.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(SyntheticRun.clients, run: run)
        var commit = SyntheticRun.commit(round: 1)
        commit.maskHealth = `case`.health
        let error = #expect(throws: StoreError.self) { try store.commitRound(commit, run: run) }
        #expect(error.map { "\($0)" }?.contains(`case`.problem) == true, "\(String(describing: error))")
        #expect(try store.rounds(run: run).isEmpty, "a refused commit wrote its round")
    }
}
