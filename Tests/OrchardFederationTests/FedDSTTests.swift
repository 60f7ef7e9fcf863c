import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

/// In-process rounds of the dynamic-mask methods on tiny synthetic data, shared by their tests.
struct DynamicMaskHarness {
    /// A setup of `model` at `density` with the pruning defaults and the method's own settings.
    static func setup(
        _ settings: [String: Double], choices: [String: String] = [:], model: String = "mlp", epochs: Int = 1,
        sampleShape: [Int] = [1, 28, 28]
    ) -> MethodSetup {
        MethodSetup(
            seed: 5, model: model, sampleShape: sampleShape, classes: 10,
            training: LocalTraining(epochs: epochs, batch: 16, learningRate: 0.05),
            settings: SetupValues.typed(
                ["density": 0.1, "prune_first_layer": 1, "delta": 2, "t_end": 10, "adjust_alpha": 0.3]
                    .merging(settings) { $1 },
                choices: ["distribution": "erk", "budget": "all", "storage": "automatic"].merging(choices) { $1 }))
    }

    /// Three clients of a Dirichlet split of synthetic images.
    static func clients(sampleShape: [Int] = [1, 28, 28]) throws -> [LocalClient] {
        let split = SyntheticImages.generate(shape: sampleShape, trainCount: 150, testCount: 20, seed: 5)
        let parts = try Partition.dirichlet(
            labels: split.train.labels, classes: 10, clients: 3, alpha: 0.5, minimumPerClient: 10, seed: 5)
        return parts.enumerated().map { LocalClient(id: $0.offset, data: split.train.subset($0.element)) }
    }

    /// A result whose dense tensors are copies: the host's network owns the ones it returns.
    static func detached(_ result: ClientResult) -> ClientResult {
        var copy = result
        copy.tensors = result.tensors.map { tensor in
            if case .dense(let values) = tensor.payload { return NamedTensor(name: tensor.name, tensor: values.copy()) }
            return tensor
        }
        return copy
    }

    /// Runs `rounds` with every client every round; `host(client)` picks the client object.
    @discardableResult
    static func run(
        _ server: any ServerMethod, rounds: ClosedRange<Int>, clients: [LocalClient],
        host: (Int) -> any ClientMethod, afterRound: (Int, [ClientResult]) throws -> Void = { _, _ in }
    ) throws -> [[ClientResult]] {
        var all: [[ClientResult]] = []
        for round in rounds {
            let tasks = try server.tasks(round: round, clients: clients.map(\.id))
            let results = try tasks.map { detached(try host($0.client).run($0, on: clients[$0.client])) }
            try server.aggregate(round: round, results: results)
            try afterRound(round, results)
            all.append(results)
        }
        return all
    }

    /// The bit patterns of every state tensor, to compare runs exactly.
    static func bits(_ network: Network) -> [[UInt32]] {
        network.parameters.map { $0.parameter.denseValue().values.map(\.bitPattern) }
    }

    /// The kept count of each pruned weight.
    static func counts(_ masks: [String: [Int32]]) -> [String: Int] { masks.mapValues(\.count) }
}

@Suite("FedDST")
struct FedDSTTests {
    let setup = DynamicMaskHarness.setup(["adjust_epochs": 0])

    @Test func clientAdjustmentKeepsCountsMovesWeightsAndZeroesGrown() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try FedDSTServer(setup: setup)
        let task = try server.tasks(round: 2, clients: [0])[0]
        #expect(task.kind == .adjust)
        let client = try FedDSTClient(setup: setup)
        try SparseTransfer.load(task.tensors, into: client.network, batch: 16, storage: .automatic)
        let before = client.network.masks
        let (grown, _) = try FedDSTAdjustment.adjust(
            client.network, data: clients[0].data, batch: 16, fraction: 0.3, storage: .automatic,
            random: RandomStream(seed: 1, purpose: "growth-batch"))
        let after = client.network.masks
        #expect(DynamicMaskHarness.counts(after) == DynamicMaskHarness.counts(before))
        var moved = 0
        for (name, kept) in before {
            let expected = PruneAndGrow.adjustmentCount(active: kept.count, fraction: 0.3)
            #expect(grown[name, default: []].count == (expected > 0 ? expected : 0), "\(name)")
            moved += Set(after[name]!).subtracting(kept).count
            let weight = client.network.parameter(named: name)!
            let dense = weight.denseValue()
            for position in grown[name, default: []] {
                #expect(dense[Int(position)] == 0, "\(name)[\(position)] grows from zero")
                #expect(Set(after[name]!).contains(position))
            }
        }
        #expect(moved > 0, "an adjustment moves weights")
    }

    @Test func unionIsPrunedBackToTheTargetByMagnitude() throws {
        var values: [String: [Float]] = ["w": [0.1, -5, 0, 3, 0.2, -0.05, 4, 0]]
        let union: [String: [Int32]] = ["w": [0, 1, 3, 4, 5, 6]]
        let reduced = try FedDSTServer.prune(
            union: union, values: &values, shapes: ["w": [2, 4]], targets: ["w": 3])
        #expect(reduced["w"] == [1, 3, 6])
        #expect(values["w"] == [0, -5, 0, 3, 0, 0, 4, 0])
    }

    @Test func adjustmentRoundTakesTheUnionAndKeepsTheDensity() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try FedDSTServer(setup: setup)
        let targets = server.targetCounts
        let initial = server.masks
        var unionLarger = false
        try DynamicMaskHarness.run(
            server, rounds: 1...4, clients: clients, host: { _ in try! FedDSTClient(setup: setup) }
        ) {
            round, results in
            #expect(DynamicMaskHarness.counts(server.masks) == targets, "round \(round)")
            if round % 2 == 0 {
                // Clients changed their masks, so their weights travel with positions.
                let positions = results.flatMap(\.tensors).filter {
                    if case .sparse = $0.payload { return true } else { return false }
                }
                #expect(!positions.isEmpty)
                for name in targets.keys {
                    var union = Set<Int32>()
                    for result in results {
                        if case .sparse(_, let indices, _) = try result.tensor(named: name).payload {
                            union.formUnion(indices)
                        }
                    }
                    if union.count > targets[name]! { unionLarger = true }
                }
            }
        }
        #expect(unionLarger, "clients' masks differ, so some union exceeds the target")
        #expect(server.masks != initial)
        for (name, kept) in server.masks {
            let dense = server.global.parameter(named: name)!.value
            let nonzero = (0..<dense.count).filter { dense[$0] != 0 }
            #expect(Set(nonzero).isSubset(of: Set(kept.map(Int.init))), "\(name) is zero where pruned")
        }
    }

    @Test func roundsAreDeterministicAndIndependentOfTheHost() throws {
        let clients = try DynamicMaskHarness.clients()
        let first = try FedDSTServer(setup: setup)
        let shared = try FedDSTClient(setup: setup)
        try DynamicMaskHarness.run(first, rounds: 1...3, clients: clients, host: { _ in shared })
        let second = try FedDSTServer(setup: setup)
        let separate = try (0..<3).map { _ in try FedDSTClient(setup: setup) }
        try DynamicMaskHarness.run(second, rounds: 1...3, clients: clients, host: { separate[$0] })
        #expect(DynamicMaskHarness.bits(first.global) == DynamicMaskHarness.bits(second.global))
        #expect(first.masks == second.masks)
    }

    @Test func adjustingAfterTrainingAlsoKeepsTheDensity() throws {
        let late = DynamicMaskHarness.setup(["adjust_epochs": 1])
        let clients = try DynamicMaskHarness.clients()
        let server = try FedDSTServer(setup: late)
        let host = try FedDSTClient(setup: late)
        let results = try DynamicMaskHarness.run(server, rounds: 1...2, clients: clients, host: { _ in host })
        #expect(DynamicMaskHarness.counts(server.masks) == server.targetCounts)
        #expect(results[1].allSatisfy { ($0.metrics["grown_weights"] ?? 0) > 0 })
        #expect(results[1].allSatisfy { ($0.metrics["predicted_peak_bytes"] ?? 0) > 0 })
    }
}
