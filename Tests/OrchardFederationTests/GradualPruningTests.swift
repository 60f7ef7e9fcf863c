import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

/// `gmp` and `imp`: the server prunes between rounds, the client trains under the mask it gets.
@Suite("GMP and IMP")
struct GradualPruningTests {
    /// One linear layer, 4 inputs to 3 classes: a 3x4 weight (12 prunable values) and 3 biases.
    static let setup = MethodSetup(
        seed: 3, model: "logreg", sampleShape: [1, 2, 2], classes: 3, training: LocalTraining(batch: 4))

    /// Pruning settings counting the 12 weights only, with one global threshold.
    static func pruning(_ density: Double) -> PruningSettings {
        var pruning = PruningSettings(density: density)
        pruning.budget = .overPrunableParameters
        pruning.allocation = .global(minimum: .init(fraction: 0, count: 1))
        return pruning
    }

    /// Two clients' uploads of `global`'s state: each weight value `weights(i)`, each bias `bias`.
    static func results(_ global: Network, round: Int, weights: (Int) -> Float, bias: Float) throws -> [ClientResult] {
        try (0..<2).map { client in
            let network = try setup.makeNetwork()
            try SparseTransfer.load(SparseTransfer.download(global), into: network, batch: 4, storage: .masked)
            let sent = network.masks
            for named in network.parameters {
                let value = named.parameter.value
                for index in 0..<value.count {
                    value[index] = named.parameter.kind == .weight ? weights(index) : bias
                }
            }
            return ClientResult(
                client: client, round: round, kind: .train, metrics: ["samples": 10],
                tensors: SparseTransfer.upload(network, sent: sent))
        }
    }

    static func weightMask(_ server: any ServerMethod) -> [Int32]? { server.global.masks.values.first }

    @Test("the cubic schedule over rounds: dense at start_round, then 1 − 0.75 (1 − (t − 1)/3)³")
    func gmpSchedule() throws {
        var settings = GMPSettings(density: 0.25)
        settings.startRound = 1
        settings.endRound = 4
        let server = try GMPServer(setup: Self.setup, settings: settings)
        #expect(server.density(afterRound: 1) == nil)
        // (2/3)³ = 8/27 and (1/3)³ = 1/27 of the final sparsity 0.75 remain.
        #expect(abs((server.density(afterRound: 2) ?? 0) - (1 - 0.75 * 19 / 27)) < 1e-12)
        #expect(abs((server.density(afterRound: 3) ?? 0) - (1 - 0.75 * 26 / 27)) < 1e-12)
        #expect(server.density(afterRound: 4) == 0.25)
        #expect(server.density(afterRound: 5) == nil)
        settings.endRound = 1
        #expect(throws: FederationError.self) { try GMPServer(setup: Self.setup, settings: settings) }
    }

    @Test("gmp averages, then keeps the int(12 d_t) largest |w|, zero elsewhere, and never grows")
    func gmpServerStep() throws {
        var settings = GMPSettings(density: 0.25)
        settings.pruning = Self.pruning(0.25)
        settings.startRound = 1
        settings.endRound = 4
        let server = try GMPServer(setup: Self.setup, settings: settings)
        try server.aggregate(round: 1, results: try Self.results(server.global, round: 1, weights: { _ in 1 }, bias: 2))
        #expect(Self.weightMask(server) == nil, "dense after the start round")
        // |w_i| rises with i except at 0: the 5 largest (int(12 · 0.4722)) are 7...11.
        let weights: (Int) -> Float = { index in index == 0 ? 100 : Float(index) * (index.isMultiple(of: 2) ? 1 : -1) }
        try server.aggregate(round: 2, results: try Self.results(server.global, round: 2, weights: weights, bias: 2))
        #expect(Self.weightMask(server) == [0, 8, 9, 10, 11])
        let weight = try #require(server.global.parameters.first { $0.parameter.kind == .weight })
        #expect(weight.parameter.denseValue().values == [100, 0, 0, 0, 0, 0, 0, 0, 8, -9, 10, -11])
        // Round 3 keeps int(12 · 0.2778) = 3 of the 5, by the new averages; 1...7 may not come back.
        try server.aggregate(
            round: 3, results: try Self.results(server.global, round: 3, weights: { Float(20 - $0) }, bias: 2))
        #expect(Self.weightMask(server) == [0, 8, 9])
        #expect(server.global.parameters.first { $0.parameter.kind == .bias }?.parameter.value.values == [2, 2, 2])
    }

    @Test("imp's steps keep max(density, (1 − fraction)^k) every R rounds until the target")
    func impSchedule() {
        var settings = IMPSettings(density: 0.25)
        settings.pruneEvery = 2
        settings.pruneFraction = 0.5
        #expect(
            [1, 2, 3, 4, 5, 6, 8].map { settings.density(afterRound: $0) } == [nil, 0.5, nil, 0.25, nil, nil, nil])
        settings.pruneFraction = 0.6
        #expect(abs((settings.density(afterRound: 4) ?? 0) - 0.25) < 1e-12, "0.16 is below the target")
    }

    /// IMP settings that prune half the weights after round 2 and rewind to round 1.
    static func impSettings(rescaleKept: Bool) -> IMPSettings {
        var settings = IMPSettings(density: 0.25)
        settings.pruning = Self.pruning(0.25)
        settings.pruning.rescaleKept = rescaleKept
        settings.pruneEvery = 2
        settings.pruneFraction = 0.5
        settings.rewindRound = 1
        return settings
    }

    /// An IMP server after rounds 1 (weights i + 0.5, biases 3) and 2 (weights 12 − i, biases 7).
    static func impAfterOneStep(_ settings: IMPSettings) throws -> IMPServer {
        let server = try IMPServer(setup: Self.setup, settings: settings)
        try server.aggregate(
            round: 1, results: try Self.results(server.global, round: 1, weights: { Float($0) + 0.5 }, bias: 3))
        try server.aggregate(
            round: 2, results: try Self.results(server.global, round: 2, weights: { Float(12 - $0) }, bias: 7))
        return server
    }

    @Test("imp prunes by |w| of the averages and rewinds the kept weights to round k's")
    func impServerStep() throws {
        var settings = Self.impSettings(rescaleKept: false)
        let server = try Self.impAfterOneStep(settings)
        // int(12 · 0.5) = 6 largest |w| of round 2 are positions 0...5; they take round 1's values.
        #expect(Self.weightMask(server) == [0, 1, 2, 3, 4, 5])
        let weight = try #require(server.global.parameters.first { $0.parameter.kind == .weight })
        #expect(weight.parameter.denseValue().values == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 0, 0, 0, 0, 0, 0])
        #expect(server.global.parameters.first { $0.parameter.kind == .bias }?.parameter.value.values == [3, 3, 3])

        // A checkpoint keeps the masks and the rewind state.
        let resumed = try IMPServer(setup: Self.setup, settings: settings)
        try resumed.restore(checkpointExtra: server.checkpointExtra())
        #expect(resumed.masks == server.masks && resumed.rewindState == server.rewindState)
        settings.rewindRound = 2
        #expect(throws: FederationError.self) { try IMPServer(setup: Self.setup, settings: settings) }
    }

    @Test("imp with rescale_kept scales the rewound kept weights by 1/sqrt(layer density)")
    func impRescalesTheRewind() throws {
        let server = try Self.impAfterOneStep(Self.impSettings(rescaleKept: true))
        // Density 6/12 after the step: round 1's kept values times sqrt(2); biases as rewound.
        let weight = try #require(server.global.parameters.first { $0.parameter.kind == .weight })
        let kept = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5].map { Float($0) * Float(2).squareRoot() }
        let expected = kept + Array(repeating: 0, count: 6)
        // Tolerance: one Float rounding of the product.
        let values = weight.parameter.denseValue().values
        #expect(zip(values, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "\(values)")
        #expect(server.global.parameters.first { $0.parameter.kind == .bias }?.parameter.value.values == [3, 3, 3])
    }

    @Test("the client trains under the mask the task brings and sends the kept values alone")
    func clientKeepsTheMask() throws {
        var settings = GMPSettings(density: 0.25)
        settings.pruning = Self.pruning(0.25)
        settings.startRound = 1
        settings.endRound = 2
        let server = try GMPServer(setup: Self.setup, settings: settings)
        try server.aggregate(
            round: 2, results: try Self.results(server.global, round: 2, weights: { Float($0) }, bias: 0))
        let task = try #require(try server.tasks(round: 3, clients: [0]).first)
        let data = SyntheticImages.generate(shape: [1, 2, 2], classes: 3, trainCount: 12, testCount: 3, seed: 1).train
        let client = try FixedMaskClient(setup: Self.setup, storage: .masked)
        let result = try client.run(task, on: LocalClient(id: 0, data: data))
        let upload = try #require(result.tensors.first { $0.name == server.masks.keys.first })
        #expect(upload.shape == [3], "the 3 kept values, without positions")
        try server.aggregate(round: 3, results: [result])
        #expect(Self.weightMask(server) == [9, 10, 11])
    }
}
