import OrchardNN
import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardFederation

/// The servers follow `MethodSetup.aggregation`: one client of five sending 1000 times the
/// weights moves the mean far off and the median and trimmed mean hardly at all.
@Suite("Robust aggregation in the servers")
struct RobustAggregationServerTests {
    /// The value every tensor of each client holds: four honest clients, then the poisoner, who
    /// sends 1000 times the first one's.
    static let sent: [Float] = [1, 1.1, 0.9, 1.05, 1000]
    /// The honest clients' mean, with equal samples: (1 + 1.1 + 0.9 + 1.05) / 4.
    static let honestMean = 1.0125

    static func setup(_ aggregation: Aggregation) -> MethodSetup {
        MethodSetup(
            seed: 2, model: "logreg", sampleShape: [1, 2, 2], classes: 3, training: LocalTraining(batch: 4),
            settings: SetupValues.typed(
                ["density": 0.5, "prune_first_layer": 1],
                choices: ["criterion": "random", "distribution": "uniform", "budget": "all", "storage": "compact"]),
            aggregation: aggregation)
    }

    /// What each client uploads: `global`'s state, sparse as the method sends it when `masks` is
    /// given, with every value set to the client's.
    static func results(_ global: Network, masks: [String: [Int32]]?) throws -> [ClientResult] {
        try sent.enumerated().map { client, value in
            let network = try setup(.mean).makeNetwork()
            try SparseTransfer.load(SparseTransfer.download(global), into: network, batch: 4, storage: .compact)
            for named in network.parameters { named.parameter.value.fill(value) }
            let tensors = masks.map { SparseTransfer.upload(network, sent: $0) } ?? network.stateTensors
            return ClientResult(client: client, round: 0, kind: .train, metrics: ["samples": 10], tensors: tensors)
        }
    }

    /// The values the global model keeps (pruned positions left out).
    static func keptValues(_ global: Network) -> [Float] {
        let masks = global.masks
        return global.parameters.flatMap { named in
            let values = named.parameter.denseValue().values
            return masks[named.name].map { $0.map { values[Int($0)] } } ?? values
        }
    }

    static let rules: [(Aggregation, ClosedRange<Double>)] = [
        (.mean, 200.80...200.82),  // (4.05 + 1000) / 5
        (Aggregation(rule: .median), 1.0499...1.0501),  // sorted 0.9 1 1.05 1.1 1000
        (Aggregation(rule: .trimmedMean(trim: 0.2)), 1.0499...1.0501),  // (1 + 1.05 + 1.1) / 3
    ]

    @Test(arguments: rules)
    func fedAvgFollowsTheRule(aggregation: Aggregation, expected: ClosedRange<Double>) throws {
        let server = try FedAvgServer(setup: Self.setup(aggregation))
        try server.aggregate(round: 0, results: try Self.results(server.global, masks: nil))
        let values = Self.keptValues(server.global)
        #expect(values.allSatisfy { expected.contains(Double($0)) }, "\(values)")
    }

    @Test(arguments: rules)
    func fixedMaskFollowsTheRule(aggregation: Aggregation, expected: ClosedRange<Double>) throws {
        let server = try FixedMaskServer(setup: Self.setup(aggregation))
        try server.aggregate(round: 0, results: try Self.results(server.global, masks: server.masks))
        #expect(server.global.masks == server.masks)
        let values = Self.keptValues(server.global)
        #expect(values.allSatisfy { expected.contains(Double($0)) }, "\(values)")
    }

    @Test(arguments: rules)
    func sparseGlobalModelFollowsTheRule(aggregation: Aggregation, expected: ClosedRange<Double>) throws {
        let model = try SparseGlobalModel(setup: Self.setup(aggregation))
        let results = try Self.results(model.network, masks: model.masks)
        let (values, masks) = try model.average(try SparseGlobalModel.weighted(results, round: 0))
        #expect(masks == model.masks)
        for (name, kept) in masks {
            let held = Set(kept.map(Int.init))
            for (position, value) in (values[name] ?? []).enumerated() where held.contains(position) {
                #expect(expected.contains(Double(value)), "\(name)[\(position)] = \(value)")
            }
        }
    }

    /// Clipped to norm 20, the poisoner moves the mean by at most (|global − honest mean| + 20) / 5
    /// in L2 over the model, against about 770 unclipped; the honest updates (norm below 7) pass
    /// unclipped.
    @Test func clippingBoundsThePoisonersPull() throws {
        let server = try FedAvgServer(setup: Self.setup(Aggregation(clipNorm: 20)))
        let before = Self.keptValues(server.global)
        let honestDistance = before.reduce(0) { $0 + (Double($1) - Self.honestMean) * (Double($1) - Self.honestMean) }
            .squareRoot()
        try server.aggregate(round: 0, results: try Self.results(server.global, masks: nil))
        let after = Self.keptValues(server.global)
        let shift = after.reduce(0) { $0 + (Double($1) - Self.honestMean) * (Double($1) - Self.honestMean) }
            .squareRoot()
        #expect(shift <= (honestDistance + 20) / 5 + 1e-4)
        #expect(shift > 1)
    }
}
