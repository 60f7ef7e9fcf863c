import OrchardData
import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("FedAvg")
struct FedAvgTests {
    let setup = MethodSetup(
        seed: 3, model: "mlp", sampleShape: [1, 28, 28], classes: 10,
        training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05))

    func clients() throws -> [LocalClient] {
        let split = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 240, testCount: 40, seed: 3)
        let parts = try Partition.dirichlet(
            labels: split.train.labels, classes: 10, clients: 3, alpha: 0.5, minimumPerClient: 10, seed: 3)
        return parts.enumerated().map { LocalClient(id: $0.offset, data: split.train.subset($0.element)) }
    }

    @Test func averageIsWeightedBySamples() throws {
        let network = try setup.makeNetwork()
        let first = try setup.makeNetwork()
        let second = try setup.makeNetwork()
        for named in first.parameters { named.parameter.value.fill(1) }
        for named in second.parameters { named.parameter.value.fill(4) }
        try WeightedAverage.apply([(1, first.stateTensors), (2, second.stateTensors)], to: network)
        for named in network.parameters {
            #expect(named.parameter.value.values.allSatisfy { $0 == 3 }, "\(named.name)")
        }
    }

    @Test func resultsDoNotDependOnWhichHostRanThem() throws {
        let clients = try clients()
        let server = try FedAvgServer(setup: setup)
        let tasks = try server.tasks(round: 0, clients: [0, 1, 2])
        // One host serving all three, in order, against three hosts each serving one.
        let shared = try FedAvgClient(setup: setup)
        let together = try tasks.map {
            try shared.run($0, on: clients[$0.client]).tensors.map { try $0.denseTensor().values }
        }
        let apart = try tasks.map {
            try FedAvgClient(setup: setup).run($0, on: clients[$0.client]).tensors.map { try $0.denseTensor().values }
        }
        #expect(together == apart)
    }

    @Test func roundsImproveTheGlobalModel() throws {
        let clients = try clients()
        let server = try FedAvgServer(setup: setup)
        let host = try FedAvgClient(setup: setup)
        let test = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 240, testCount: 200, seed: 3).test
        let evaluator = Trainer(network: server.global, learningRate: 0.01)
        let before = evaluator.evaluate(on: test).loss
        for round in 0..<3 {
            let results = try server.tasks(round: round, clients: [0, 1, 2]).map { task in
                // Results share the host's network, so each is copied before the next task runs.
                var result = try host.run(task, on: clients[task.client])
                result.tensors = try result.tensors.map {
                    NamedTensor(name: $0.name, tensor: try $0.denseTensor().copy())
                }
                return result
            }
            try server.aggregate(round: round, results: results)
        }
        #expect(evaluator.evaluate(on: test).loss < before)
    }

    @Test func missingSettingsAndTensorsAreExplained() throws {
        let clients = try clients()
        let host = try FedAvgClient(setup: setup)
        let bare = ClientTask(client: 0, round: 0, kind: .train)
        #expect(throws: FederationError.self) { try host.run(bare, on: clients[0]) }
        let server = try FedAvgServer(setup: setup)
        let noSamples = ClientResult(client: 1, round: 0, kind: .train, tensors: server.global.stateTensors)
        #expect(throws: FederationError.self) { try server.aggregate(round: 0, results: [noSamples]) }
    }
}
