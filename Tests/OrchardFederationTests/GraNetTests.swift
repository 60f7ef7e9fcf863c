import OrchardData
import OrchardNN
import OrchardPruning
import Testing

@testable import OrchardFederation

/// `granet`: cubic gradual pruning on the server plus regrowth by the clients' top-K gradients, at zero.
@Suite("GraNet")
struct GraNetTests {
    /// Target 0.25 of the 12 weights, reached by the one pruning step of round 2; every later round adjusts.
    static func settings() -> GraNetSettings {
        var settings = GraNetSettings(density: 0.25)
        settings.gradual.pruning = GradualPruningTests.pruning(0.25)
        settings.gradual.startRound = 1
        settings.gradual.endRound = 2
        settings.schedule = AdjustmentSchedule(interval: 1, endRound: 1000, alpha: 0.8)
        return settings
    }

    /// The sparse upload `topk/<name>` of `gradients` by position.
    static func topK(_ name: String, _ gradients: [Int32: Float]) -> NamedTensor {
        let indices = gradients.keys.sorted()
        return NamedTensor(
            name: FedTinyProtocol.topKName(name),
            payload: .sparse(shape: [3, 4], indices: indices, values: indices.map { gradients[$0] ?? 0 }))
    }

    /// The weight's dense values.
    static func weightValues(_ server: GraNetServer) throws -> [Float] {
        try #require(server.global.parameters.first { $0.parameter.kind == .weight }).parameter.denseValue().values
    }

    @Test("the cubic schedule runs from initial_density, which prunes the initial weights by |w|")
    func sparseStart() throws {
        var settings = Self.settings()
        settings.gradual.endRound = 3
        settings.initialDensity = 0.5
        let server = try GraNetServer(setup: GradualPruningTests.setup, settings: settings)
        #expect(GradualPruningTests.weightMask(server)?.count == 6, "half of the 12 weights before round 1")
        // s_t = 0.75 − 0.25 (1 − (t − 1)/2)³: s_2 = 0.75 − 0.25/8.
        #expect(server.density(afterRound: 1) == 0.5)
        #expect(abs((server.density(afterRound: 2) ?? 0) - 0.28125) < 1e-12)
        #expect(server.density(afterRound: 3) == 0.25)
        #expect(server.density(afterRound: 4) == nil)
        settings.initialDensity = 0.2
        #expect(throws: FederationError.self) { try GraNetServer(setup: GradualPruningTests.setup, settings: settings) }
    }

    @Test("dense rounds train; once pruned, an adjustment round asks int(f · active) gradients per weight")
    func tasks() throws {
        let server = try GraNetServer(setup: GradualPruningTests.setup, settings: Self.settings())
        #expect(try server.tasks(round: 1, clients: [0]).first?.kind == .train, "nothing pruned to regrow yet")
        try server.aggregate(
            round: 2,
            results: try GradualPruningTests.results(server.global, round: 2, weights: { Float($0 + 1) }, bias: 0))
        let name = try #require(server.masks.keys.first)
        let task = try #require(try server.tasks(round: 3, clients: [0]).first)
        // f(3) = 0.4 (1 + cos(3π/1000)) ≈ 0.79998 of 3 kept: 2.
        #expect(task.kind == .adjust)
        #expect(task.settings[FedTinyProtocol.countSetting(name)] == 2)
        #expect(task.settings["topk_buffer_bytes"] == Double(1 << 20))
        #expect(server.contract(for: task).entries.contains { $0.name == FedTinyProtocol.topKName(name) })
    }

    @Test("the server prunes to the cubic density, then drops the 2 smallest |w| and grows the 2 largest |ḡ|, at zero")
    func serverStep() throws {
        let server = try GraNetServer(setup: GradualPruningTests.setup, settings: Self.settings())
        try server.aggregate(
            round: 1,
            results: try GradualPruningTests.results(server.global, round: 1, weights: { Float($0 + 1) }, bias: 0))
        #expect(GradualPruningTests.weightMask(server) == nil, "dense after the start round")
        try server.aggregate(
            round: 2,
            results: try GradualPruningTests.results(server.global, round: 2, weights: { Float($0 + 1) }, bias: 0))
        // int(12 · 0.25) = 3 largest |w|; the model was dense when round 2 began, so nothing regrows.
        #expect(GradualPruningTests.weightMask(server) == [9, 10, 11])
        #expect(server.lastAdjustment.isEmpty)
        let name = try #require(server.masks.keys.first)

        // Round 3 averages w_i = 20 − i: kept 9 → 11, 10 → 10, 11 → 9. int(0.79998 · 3) = 2 move: 10 and 11 drop.
        // ḡ = (client 0 + client 1) / 2: position 0 → 0.25, 2 → 2, 4 → −2, 7 → 1.5; the kept 9 is not a candidate.
        let reported: [[Int32: Float]] = [[0: 0.5, 4: -3, 7: 1], [4: -1, 7: 2, 2: 4, 9: 100]]
        let results = try GradualPruningTests.results(server.global, round: 3, weights: { Float(20 - $0) }, bias: 1)
            .enumerated().map { client, result in
                ClientResult(
                    client: result.client, round: 3, kind: .adjust, metrics: result.metrics,
                    tensors: result.tensors + [Self.topK(name, reported[client])])
            }
        try server.aggregate(round: 3, results: results)
        #expect(server.lastAdjustment[name]?.pruned == [10, 11])
        #expect(server.lastAdjustment[name]?.grown == [2, 4], "|ḡ| ties between 2 and 4; 7 comes next")
        #expect(GradualPruningTests.weightMask(server) == [2, 4, 9])
        #expect(try Self.weightValues(server) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0])
        #expect(server.global.parameters.first { $0.parameter.kind == .bias }?.parameter.value.values == [1, 1, 1])
    }

    @Test("fewer reported positions than asked move fewer weights; a malformed upload is an error")
    func fewReports() throws {
        let server = try GraNetServer(setup: GradualPruningTests.setup, settings: Self.settings())
        for round in 1...2 {
            try server.aggregate(
                round: round,
                results: try GradualPruningTests.results(
                    server.global, round: round, weights: { Float($0 + 1) }, bias: 0))
        }
        let name = try #require(server.masks.keys.first)
        let adjusted = { (upload: NamedTensor) in
            try GradualPruningTests.results(server.global, round: 3, weights: { Float($0 + 1) }, bias: 0).map {
                ClientResult(
                    client: $0.client, round: 3, kind: .adjust, metrics: $0.metrics, tensors: $0.tensors + [upload])
            }
        }
        try server.aggregate(round: 3, results: try adjusted(Self.topK(name, [5: 1])))
        #expect(server.lastAdjustment[name]?.pruned == [9], "one position reported: the smallest kept drops")
        #expect(GradualPruningTests.weightMask(server) == [5, 10, 11])
        let outside = NamedTensor(
            name: FedTinyProtocol.topKName(name), payload: .sparse(shape: [3, 4], indices: [12], values: [1]))
        #expect(throws: FederationError.self) { try server.aggregate(round: 4, results: try adjusted(outside)) }
    }

    @Test("FedTiny's client answers an adjustment task with at most k gradients of pruned positions")
    func clientRoundTrip() throws {
        let setup = GradualPruningTests.setup
        let server = try GraNetServer(setup: setup, settings: Self.settings())
        try server.aggregate(
            round: 2, results: try GradualPruningTests.results(server.global, round: 2, weights: { Float($0) }, bias: 0)
        )
        let task = try #require(try server.tasks(round: 3, clients: [0]).first)
        let data = SyntheticImages.generate(shape: [1, 2, 2], classes: 3, trainCount: 12, testCount: 3, seed: 1).train
        let client = try FedTinyClient(setup: setup, configuration: Self.settings().clientConfiguration)
        let result = try client.run(task, on: LocalClient(id: 0, data: data))
        let name = try #require(server.masks.keys.first)
        let upload = try #require(result.tensors.first { $0.name == FedTinyProtocol.topKName(name) })
        guard case .sparse(_, let indices, _) = upload.payload else {
            Issue.record("the top-K upload is not sparse")
            return
        }
        #expect(indices.count == 2 && indices.allSatisfy { ![9, 10, 11].contains($0) })
        try server.aggregate(round: 3, results: [result])
        #expect(GradualPruningTests.weightMask(server)?.count == 3, "regrowth keeps the count")
        #expect(server.lastAdjustment[name]?.grown.count == 2)
    }
}
