import OrchardData
import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("LotteryFL")
struct LotteryFLTests {
    /// Logistic regression on two features and two classes: `fc.weight` [2, 2] and `fc.bias` [2].
    static func setup(_ settings: [String: Double] = [:], learningRate: Double = 0.05) -> MethodSetup {
        MethodSetup(
            seed: 3, model: "logreg", sampleShape: [2], classes: 2,
            training: LocalTraining(epochs: 1, batch: 4, learningRate: learningRate),
            settings: SetupValues.typed(["density": 0.5].merging(settings) { $1 }, choices: ["storage": "masked"]))
    }

    static func set(_ network: Network, weight: [Float], bias: [Float]) {
        for named in network.parameters {
            let values = named.name == "fc.weight" ? weight : bias
            values.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }

    static func values(_ network: Network, _ name: String) -> [Float] {
        network.parameters.first { $0.name == name }?.parameter.denseValue().values ?? []
    }

    static func result(client: Int, round: Int, samples: Double, _ tensors: [NamedTensor]) -> ClientResult {
        ClientResult(client: client, round: round, kind: .train, metrics: ["samples": samples], tensors: tensors)
    }

    static func dense(_ name: String, _ values: [Float], shape: [Int]) -> NamedTensor {
        NamedTensor(name: name, tensor: Tensor(shape: shape, values: values, role: .data))
    }

    @Test func aPruningStepDropsTheSmallestMagnitudesAndStopsAtTheTarget() {
        let values: [Float] = [0.5, -0.1, 0.3, 0.05, -0.9, 0.2, 0.1, 0.7, -0.3, 0.4]
        // Target ⌈0.3 · 10⌉ = 3; a step drops min(10 - 3, ⌊0.5 · 10⌋) = 5: |w| 0.05 (3), 0.1 (1
        // before 6), 0.2 (5), then 0.3 at 2 before 8.
        let first = LotteryFLPruning.step(
            kept: (0..<10).map { Int32($0) }, values: values, total: 10, density: 0.3, rate: 0.5)
        #expect(first == [0, 4, 7, 8, 9])
        // Then min(5 - 3, ⌊2.5⌋) = 2: 0.3 (8) and 0.4 (9); then nothing.
        let second = LotteryFLPruning.step(
            kept: first, values: first.map { values[Int($0)] }, total: 10, density: 0.3, rate: 0.5)
        #expect(second == [0, 4, 7])
        #expect(
            LotteryFLPruning.step(kept: second, values: [0.5, -0.9, 0.7], total: 10, density: 0.3, rate: 0.5) == second)
        #expect(LotteryFLPruning.targetCount(total: 10, density: 0.25) == 3)
        #expect(LotteryFLPruning.targetCount(total: 7, density: 0.1) == 1)
        #expect(LotteryFLPruning.targetCount(total: 3, density: 0.01) == 1)
    }

    @Test func theServerAveragesEachPositionOverTheClientsThatKeepItAndKeepsTheirMasks() throws {
        let server = try LotteryFLServer(setup: Self.setup())
        Self.set(server.global, weight: [1, 2, 3, 4], bias: [0, 0])
        let first = try server.tasks(round: 1, clients: [0, 1])
        #expect(first.allSatisfy { $0.tensors.allSatisfy { if case .dense = $0.payload { true } else { false } } })
        // Client 0 (1 sample) pruned to positions 0 and 3; client 1 (3 samples) is dense.
        try server.aggregate(
            round: 1,
            results: [
                Self.result(
                    client: 0, round: 1, samples: 1,
                    [
                        NamedTensor(
                            name: "fc.weight", payload: .sparse(shape: [2, 2], indices: [0, 3], values: [10, 40])),
                        Self.dense("fc.bias", [1, 1], shape: [2]),
                    ]),
                Self.result(
                    client: 1, round: 1, samples: 3,
                    [
                        Self.dense("fc.weight", [20, 20, 20, 20], shape: [2, 2]),
                        Self.dense("fc.bias", [5, 5], shape: [2]),
                    ]),
            ])
        // (1 · 10 + 3 · 20) / 4 = 17.5, 20, 20, (40 + 60) / 4 = 25; bias (1 + 15) / 4 = 4.
        #expect(Self.values(server.global, "fc.weight") == [17.5, 20, 20, 25])
        #expect(Self.values(server.global, "fc.bias") == [4, 4])
        #expect(server.clientMasks[0] == ["fc.weight": [0, 3]] && server.clientMasks[1] == [:])
        #expect(server.modelDensity == 0.75)

        // Client 0's task carries the global values under its mask; client 1's stays dense.
        let second = try server.tasks(round: 2, clients: [0, 1])
        guard case .sparse(_, let indices, let values) = second[0].tensors[0].payload else {
            Issue.record("client 0's weight went dense")
            return
        }
        #expect(indices == [0, 3] && values == [17.5, 25])
        let contract = server.contract(for: second[0])
        #expect(contract.isPersonalized)
        #expect(contract.entry(named: "fc.weight")?.form == .pruning(shape: [2, 2], kept: [0, 3]))
        #expect(server.contract(for: second[1]).entry(named: "fc.weight")?.form == .pruning(shape: [2, 2], kept: nil))

        // Client 0 alone answers with values under its mask: positions 1 and 2 keep 20.
        try server.aggregate(
            round: 2,
            results: [
                Self.result(
                    client: 0, round: 2, samples: 1,
                    [Self.dense("fc.weight", [2, 4], shape: [2]), Self.dense("fc.bias", [3, 3], shape: [2])])
            ])
        #expect(Self.values(server.global, "fc.weight") == [2, 20, 20, 4])
        #expect(Self.values(server.global, "fc.bias") == [3, 3])

        // The masks survive a checkpoint.
        let restored = try LotteryFLServer(setup: Self.setup())
        try restored.restore(checkpointExtra: server.checkpointExtra())
        #expect(restored.clientMasks == server.clientMasks)
        #expect(throws: FederationError.self) {
            try LotteryFLMasks.decode(
                LotteryFLMasks.encode([4: ["fc.bias": [0]]], order: server.global), shapes: server.shapes,
                prunable: server.prunable)
        }
    }

    /// Ten samples of two features whose label is the larger feature's index.
    static let client = LocalClient(
        id: 0,
        data: Dataset(
            name: "tiny", sampleShape: [2], classCount: 2, labels: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1],
            floats: [2, 1, 1, 2, 3, 0, 0, 3, 2, 0, 0, 2, 4, 1, 1, 4, 1, 0, 0, 1]))

    /// One task of client 0 from a server whose weight is `weight`, run by a client.
    static func run(_ settings: [String: Double], weight: [Float], learningRate: Double = 0) throws -> ClientResult {
        let setup = Self.setup(["prune_rate": 0.5].merging(settings) { $1 }, learningRate: learningRate)
        let server = try LotteryFLServer(setup: setup)
        Self.set(server.global, weight: weight, bias: [0, 0])
        let task = try server.tasks(round: 1, clients: [0])[0]
        return try LotteryFLClient(setup: setup).run(task, on: Self.client)
    }

    @Test func aClientPastTheThresholdPrunesByMagnitudeAndRewinds() throws {
        // The weight [[1, -4], [0.5, 3]] keeps |−4| (1) and |3| (3). With a learning rate of 0 the
        // upload is what the client held after pruning: the initial values, rewound, or the received.
        let initial = Self.values(try Self.setup().makeNetwork(), "fc.weight")
        let rewound = try Self.run(["accuracy_threshold": 0], weight: [1, -4, 0.5, 3])
        guard case .sparse(let shape, let indices, let values) = try rewound.tensor(named: "fc.weight").payload else {
            Issue.record("the pruned weight went without its positions")
            return
        }
        #expect(shape == [2, 2] && indices == [1, 3] && values == [initial[1], initial[3]])
        #expect(rewound.metrics["pruned_weights"] == 2)
        // ⌊10 · 0.2⌋ = 2 held out, 8 trained on.
        #expect(rewound.metrics["personal_samples"] == 2 && rewound.metrics["samples"] == 8)
        let kept = try Self.run(["accuracy_threshold": 0, "rewind": 0], weight: [1, -4, 0.5, 3])
        guard case .sparse(_, _, let received) = try kept.tensor(named: "fc.weight").payload else {
            Issue.record("the pruned weight went without its positions")
            return
        }
        #expect(received == [-4, 3])
    }

    @Test func aClientBelowTheThresholdOrAtItsDensityKeepsItsMask() throws {
        // Logits (x0 - x1, x1 - x0)·(−1): every sample is classified wrong, accuracy 0 < 0.5.
        let wrong = try Self.run([:], weight: [-1, 1, 1, -1])
        #expect(wrong.metrics["received_accuracy"] == 0 && wrong.metrics["pruned_weights"] == 0)
        guard case .dense(let values) = try wrong.tensor(named: "fc.weight").payload else {
            Issue.record("a dense client that did not prune sent positions")
            return
        }
        #expect(values.shape == [2, 2])
        // The right classifier passes and prunes the two lower positions of equal magnitude; the
        // kept [[0, 0], [-1, 1]] still classifies every held-out sample right.
        let right = try Self.run(["rewind": 0], weight: [1, -1, -1, 1])
        #expect(right.metrics["received_accuracy"] == 1 && right.metrics["pruned_weights"] == 2)
        #expect(right.metrics["personal_accuracy"] == 1)
    }

    @Test func settingsOutOfRangeAreRefused() {
        for settings in [["prune_rate": 1.0], ["accuracy_threshold": 1.5], ["holdout_fraction": 0], ["density": 0]] {
            #expect(throws: FederationError.self, "\(settings)") { try LotteryFLServer(setup: Self.setup(settings)) }
        }
    }
}

// Each half built from a setup's values, decoded as the method's descriptor does.
extension LotteryFLServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "lotteryfl"))
    }
}

extension LotteryFLClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "lotteryfl"))
    }
}
