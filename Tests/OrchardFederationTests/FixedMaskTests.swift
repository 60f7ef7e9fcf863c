import OrchardData
import OrchardNN
import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("Fixed-mask FedAvg and sparse transfer")
struct FixedMaskTests {
    func setup(criterion: String, density: Double = 0.1, storage: String = "compact") -> MethodSetup {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 60, testCount: 40, seed: 5)
        return MethodSetup(
            seed: 4, model: "lenet5", sampleShape: [1, 28, 28], classes: 10,
            training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05, momentum: 0.9),
            settings: SetupValues.typed(
                ["density": density, "prune_first_layer": 1, "synflow_iterations": 5],
                choices: ["criterion": criterion, "distribution": "erk", "budget": "all", "storage": storage]),
            serverData: split.test.samplesPerClass(2, random: RandomStream(seed: 1, purpose: "server-data")))
    }

    func clients() throws -> [LocalClient] {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 90, testCount: 10, seed: 3)
        let parts = try Partition.iid(count: split.train.count, clients: 3, seed: 3)
        return parts.enumerated().map { LocalClient(id: $0.offset, data: split.train.subset($0.element)) }
    }

    /// Each criterion keeps about the planned share of all parameters, and the server's model
    /// holds zeros exactly where its mask prunes.
    @Test(arguments: ["random", "magnitude", "snip", "synflow", "grasp"])
    func criterionMasksHitTheDensity(criterion: String) throws {
        let server = try FixedMaskServer(setup: setup(criterion: criterion))
        let kept = server.masks.values.reduce(0) { $0 + $1.count }
        let prunable = server.global.prunableLayers().reduce(0) { $0 + $1.layer.weight.denseCount }
        let dense = server.global.trainableCount - prunable
        // The density counts every trained parameter (budget `all`): kept + dense ≈ 10% of all.
        let realised = Double(kept + dense) / Double(server.global.trainableCount)
        #expect(abs(realised - 0.1) < 0.002, "\(criterion): \(realised)")
        for entry in server.global.prunableLayers() {
            let keep = Set(server.masks[entry.name]!)
            let value = entry.layer.weight.value
            #expect((0..<value.count).allSatisfy { keep.contains(Int32($0)) || value[$0] == 0 })
        }
    }

    /// Rounds in-process: the mask never changes, uploads carry values alone, and the result does
    /// not depend on which client object ran which task.
    @Test func roundsKeepTheMaskAndAreDeterministic() throws {
        let clients = try clients()
        func run(sharedClient: Bool) throws -> [Float] {
            let setup = setup(criterion: "magnitude")
            let server = try FixedMaskServer(setup: setup)
            let shared = try FixedMaskClient(setup: setup)
            for round in 1...2 {
                let results = try server.tasks(round: round, clients: [0, 1, 2]).map { task in
                    let client = sharedClient ? shared : try FixedMaskClient(setup: setup)
                    var result = try client.run(task, on: clients[task.client])
                    // Uploads of unchanged masks are values alone: dense tensors of the kept count.
                    for tensor in result.tensors where server.masks[tensor.name] != nil {
                        #expect(tensor.shape == [server.masks[tensor.name]!.count], "\(tensor.name)")
                    }
                    result.tensors = try result.tensors.map {
                        NamedTensor(name: $0.name, tensor: try $0.denseTensor().copy())
                    }
                    return result
                }
                try server.aggregate(round: round, results: results)
                #expect(server.global.masks == server.masks)
            }
            return ParameterArchive(server.global).values
        }
        let first = try run(sharedClient: true)
        #expect(first == (try run(sharedClient: false)))
        #expect(first.contains { $0 != 0 })
    }

    /// Positions kept by only some clients average over those clients alone.
    @Test func maskedAverageCountsOnlyKeepers() throws {
        let shapes = ["w": [4]]
        let first = Tensor(shape: [4], values: [1, 2, 0, 0], role: .data)
        let second = Tensor(shape: [4], values: [3, 0, 5, 0], role: .data)
        let (values, masks) = try MaskedAverage.average(
            [(1, [("w", first, [0, 1])]), (3, [("w", second, [0, 2])])], shapes: shapes)
        #expect(values["w"] == [2.5, 2, 5, 0])
        #expect(masks["w"] == [0, 1, 2])
    }

    /// A downloaded sparse state makes the client's weights compact with the sent mask; values
    /// alone resolve against the mask that was sent, and a wrong count is an error.
    @Test func transferRoundTrip() throws {
        let server = try FixedMaskServer(setup: setup(criterion: "random"))
        let tensors = SparseTransfer.download(server.global)
        let client = try setup(criterion: "random").makeNetwork()
        try SparseTransfer.load(tensors, into: client, batch: 8, storage: .compact)
        #expect(client.masks == server.masks)
        #expect(client.prunableLayers().allSatisfy { $0.layer.weight.isCompact })
        #expect(ParameterArchive(client).values == ParameterArchive(server.global).values)
        let shapes = Dictionary(uniqueKeysWithValues: client.parameters.map { ($0.name, $0.parameter.shape) })
        let upload = SparseTransfer.upload(client, sent: server.masks)
        let resolved = try SparseTransfer.resolve(upload, shapes: shapes, sent: server.masks)
        for (name, dense, kept) in resolved {
            #expect(dense.values == server.global.parameter(named: name)!.denseValue().values, "\(name)")
            #expect(kept == server.masks[name])
        }
        let wrong = [NamedTensor(name: "fc1.weight", tensor: Tensor(zeros: [3], role: .data))]
        #expect(throws: FederationError.self) { try SparseTransfer.resolve(wrong, shapes: shapes, sent: server.masks) }
    }

    /// A client whose budget cannot hold the task refuses it and says what it needs.
    @Test func taskOverBudgetIsRefused() throws {
        let setup = setup(criterion: "random")
        let server = try FixedMaskServer(setup: setup)
        let data = try clients()[0].data
        let task = try server.tasks(round: 1, clients: [0])[0]
        let refused = try FixedMaskClient(setup: setup).run(
            task, on: LocalClient(id: 0, data: data, memoryBudget: 10_000))
        #expect(refused.outcome == .refused)
        #expect(refused.reason.contains("memory budget is 10000 bytes"))
        let ran = try FixedMaskClient(setup: setup).run(task, on: LocalClient(id: 0, data: data, memoryBudget: 1 << 30))
        #expect(ran.outcome == .ok)
        let predicted = ran.metrics["predicted_peak_bytes"] ?? 0
        let measured = ran.metrics["peak_memory_bytes"] ?? 0
        // The prediction covers the last, smaller batch's reallocation with its largest tensor, so it
        // may exceed the measured peak by that much, never fall below it.
        #expect(measured <= predicted && measured >= 0.9 * predicted, "predicted \(predicted), measured \(measured)")
    }
}
