import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("PruneFL")
struct PruneFLTests {
    let setup = DynamicMaskHarness.setup([:])

    @Test func adjustmentResultsCarryMeanSquaredGradientsOfEveryTensor() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try PruneFLServer(setup: setup)
        #expect(try server.tasks(round: 1, clients: [0])[0].kind == .train)
        let task = try server.tasks(round: 2, clients: [0])[0]
        #expect(task.kind == .adjust)
        let host = try PruneFLClient(setup: setup)
        let result = try host.run(task, on: clients[0])
        for named in server.global.parameters where named.parameter.kind.isTrainable {
            let importance = try result.tensor(named: DenseGradients.prefix + named.name)
            guard case .dense(let values) = importance.payload else {
                Issue.record("\(named.name): importance is not dense")
                continue
            }
            #expect(values.shape == named.parameter.shape)
            #expect(values.values.allSatisfy { $0 >= 0 })
            if let kept = server.masks[named.name], kept.count < values.count {
                let keptSet = Set(kept.map(Int.init))
                let pruned = (0..<values.count).filter { !keptSet.contains($0) }
                #expect(pruned.contains { values[$0] > 0 }, "\(named.name) scores pruned positions too")
            }
        }
        let plain = try host.run(try server.tasks(round: 1, clients: [0])[0], on: clients[0])
        #expect(!plain.tensors.contains { $0.name.hasPrefix(DenseGradients.prefix) })
        #expect(result.metrics["predicted_peak_bytes"]! > plain.metrics["predicted_peak_bytes"]!)
    }

    @Test func serverGrowsThePositionsOfLargestScoreAndZeroesThem() throws {
        let model = try SparseGlobalModel(setup: setup)
        let before = model.modelMask
        let weights = Dictionary(
            uniqueKeysWithValues: before.names.map { ($0, model.network.parameter(named: $0)!.value.values) })
        // Scores rising with the index: the highest free positions grow.
        let scores = ModelScores(
            names: before.names, shapes: before.masks.map(\.shape),
            values: before.masks.map { mask in (0..<mask.elementCount).map { Float($0) } })
        let grown = try model.pruneAndGrow(scores: scores, fraction: 0.2)
        let after = model.modelMask
        for ((name, old), new) in zip(before.entries, after.masks) {
            #expect(new.count == old.count, "\(name) keeps its count")
            let k = PruneAndGrow.adjustmentCount(active: old.count, fraction: 0.2)
            let magnitude = weights[name]!.map(abs)
            let dropped = old.activeIndices.sorted {
                magnitude[Int($0)] != magnitude[Int($1)] ? magnitude[Int($0)] < magnitude[Int($1)] : $0 < $1
            }.prefix(k)
            let survivors = Set(old.activeIndices).subtracting(dropped)
            let free = (0..<Int32(old.elementCount)).filter { !survivors.contains($0) }
            #expect(grown[name]! == Array(free.suffix(k)), "\(name) grows the top scores")
            #expect(Set(new.activeIndices) == survivors.union(free.suffix(k)))
            let values = model.network.parameter(named: name)!.value
            for position in grown[name]! { #expect(values[Int(position)] == 0) }
        }
    }

    @Test func roundsKeepTheDensityAndMoveTheMask() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try PruneFLServer(setup: setup)
        let targets = server.targetCounts
        let initial = server.masks
        try DynamicMaskHarness.run(
            server, rounds: 1...2, clients: clients, host: { _ in try! PruneFLClient(setup: setup) }
        ) {
            round, _ in
            #expect(DynamicMaskHarness.counts(server.masks) == targets, "round \(round)")
            if round == 1 { #expect(server.masks == initial, "a train round keeps the mask") }
        }
        #expect(server.masks != initial, "the adjustment round moves weights")
    }

    @Test func roundsAreDeterministicAndIndependentOfTheHost() throws {
        let clients = try DynamicMaskHarness.clients()
        let first = try PruneFLServer(setup: setup)
        let shared = try PruneFLClient(setup: setup)
        try DynamicMaskHarness.run(first, rounds: 1...3, clients: clients, host: { _ in shared })
        let second = try PruneFLServer(setup: setup)
        let separate = try (0..<3).map { _ in try PruneFLClient(setup: setup) }
        try DynamicMaskHarness.run(second, rounds: 1...3, clients: clients, host: { separate[$0] })
        #expect(DynamicMaskHarness.bits(first.global) == DynamicMaskHarness.bits(second.global))
        #expect(first.masks == second.masks)
    }
}
