import OrchardData
import OrchardNN
import OrchardPayload
import OrchardTensor
import Testing

@testable import OrchardFederation

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// `hidenseek` on a logistic regression over 4 features and 10 classes: one weight of 40 values.
@Suite("HideNseek: supermask training, masks up as bits, scores or probabilities aggregated")
struct HideNseekTests {
    static func setup(_ choices: [String: String] = [:], settings: [String: Double] = [:]) -> MethodSetup {
        MethodSetup(
            seed: 5, model: "logreg", sampleShape: [1, 2, 2], classes: 10,
            training: LocalTraining(epochs: 1, batch: 8, learningRate: 0.05),
            settings: SetupValues.typed(
                ["density": 0.25, "score_lr": 0.1, "prior_reset": 1].merging(settings) { $1 },
                choices: ["weights": "signed-constant", "sampling": "bernoulli", "upload": "mask"].merging(choices) {
                    $1
                }
            ))
    }

    static func clients() throws -> [LocalClient] { try DynamicMaskHarness.clients(sampleShape: [1, 2, 2]) }

    static func maskResult(client: Int, round: Int, _ positions: [Int32]) -> ClientResult {
        ClientResult(
            client: client, round: round, kind: .train, metrics: ["samples": 10],
            tensors: [NamedTensor(name: "fc.mask", payload: .mask(shape: [10, 4], indices: positions))])
    }

    static func scoresResult(client: Int, samples: Double, _ values: [Float]) -> ClientResult {
        ClientResult(
            client: client, round: 1, kind: .train, metrics: ["samples": samples],
            tensors: [NamedTensor(name: "fc.scores", tensor: Tensor(shape: [10, 4], values: values))])
    }

    static func logit(_ probability: Double) -> Float { Float(log(probability / (1 - probability))) }

    /// The global weight: the random weights at the kept positions, zero elsewhere.
    static func expectGlobal(
        _ server: HideNseekServer, kept: [Int32], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let weight = server.global.parameter(named: "fc.weight")!
        #expect(weight.pattern?.flatIndices == kept, sourceLocation: sourceLocation)
        for position in 0..<40 {
            let expected = kept.contains(Int32(position)) ? server.randomWeights[0][position] : 0
            #expect(weight.value[position] == expected, sourceLocation: sourceLocation)
        }
    }

    /// Tasks carry the scores at the score learning rate; the global model starts at the density,
    /// Bernoulli scores at logit(density).
    @Test func tasksCarryTheScores() throws {
        let server = try HideNseekServer(setup: Self.setup())
        let tasks = try server.tasks(round: 1, clients: [0, 2])
        #expect(tasks.map(\.client) == [0, 2])
        #expect(tasks[0].settings["learning_rate"] == 0.1)
        #expect(tasks[0].tensors.map(\.name) == ["fc.scores"])
        let scores = try tasks[0].tensors[0].denseTensor()
        #expect(scores.shape == [10, 4])
        #expect(scores.values.allSatisfy { abs($0 - Self.logit(0.25)) < 1e-6 })
        #expect(server.global.parameter(named: "fc.weight")!.pattern?.count == 10)
        #expect(server.contract(for: tasks[0]).entries == [.init(name: "fc.mask", form: .mask(shape: [10, 4]))])
        let scale = Float((2.0 / 4).squareRoot())
        #expect(server.randomWeights[0].allSatisfy { $0 == scale || $0 == -scale })
    }

    /// FedPM's aggregation: the fraction of ones per position within [0.01, 0.99], as logits; the
    /// global mask keeps the largest.
    @Test func masksAggregateToProbabilities() throws {
        let server = try HideNseekServer(setup: Self.setup(settings: ["density": 0.05]))
        try server.aggregate(
            round: 1,
            results: [
                Self.maskResult(client: 0, round: 1, [0, 1, 5]), Self.maskResult(client: 1, round: 1, [0, 2]),
                Self.maskResult(client: 2, round: 1, [0, 1, 39]),
            ])
        var expected = [Float](repeating: Self.logit(0.01), count: 40)
        expected[0] = Self.logit(0.99)
        expected[1] = Self.logit(2.0 / 3)
        for position in [2, 5, 39] { expected[position] = Self.logit(1.0 / 3) }
        #expect(zip(server.scores[0], expected).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(server.draws == 3)
        Self.expectGlobal(server, kept: [0, 1])  // 5% of 40
    }

    /// With `prior_reset: 2` the counts of rounds 1 and 2 add up; round 3 starts afresh.
    @Test func posteriorsAccumulateUntilTheReset() throws {
        let server = try HideNseekServer(setup: Self.setup(settings: ["prior_reset": 2, "density": 0.05]))
        try server.aggregate(round: 1, results: [Self.maskResult(client: 0, round: 1, [3, 4])])
        try server.aggregate(
            round: 2,
            results: [Self.maskResult(client: 1, round: 2, [4]), Self.maskResult(client: 2, round: 2, [4, 7])])
        #expect(server.draws == 3)
        #expect(abs(server.scores[0][4] - Self.logit(0.99)) < 1e-5)
        #expect(abs(server.scores[0][3] - Self.logit(1.0 / 3)) < 1e-5)
        #expect(abs(server.scores[0][7] - Self.logit(1.0 / 3)) < 1e-5)
        // Positions 3 and 7 tie at 1/3: the random tie-breaking order decides.
        Self.expectGlobal(server, kept: server.ties[0][3] < server.ties[0][7] ? [3, 4] : [4, 7])
        try server.aggregate(round: 3, results: [Self.maskResult(client: 0, round: 3, [9])])
        #expect(server.draws == 1)
        #expect(abs(server.scores[0][9] - Self.logit(0.99)) < 1e-5)
        #expect(abs(server.scores[0][4] - Self.logit(0.01)) < 1e-5)
    }

    /// Top-k scores average by samples; Bernoulli scores average as probabilities.
    @Test func scoresAverageBySamples() throws {
        let first = (0..<40).map { Float($0) / 10 }
        let second = (0..<40).map { Float(40 - $0) / 10 }
        let results = [
            Self.scoresResult(client: 0, samples: 1, first), Self.scoresResult(client: 1, samples: 3, second),
        ]
        let topK = try HideNseekServer(
            setup: Self.setup(["sampling": "topk", "upload": "scores"], settings: ["density": 0.1]))
        try topK.aggregate(round: 1, results: results)
        for position in 0..<40 {
            #expect(abs(topK.scores[0][position] - (first[position] + 3 * second[position]) / 4) < 1e-5)
        }
        // (p + 120 - 3p) / 40 is largest at the first positions: the top 4 are 0...3.
        Self.expectGlobal(topK, kept: [0, 1, 2, 3])
        let bernoulli = try HideNseekServer(setup: Self.setup(["upload": "scores"]))
        try bernoulli.aggregate(round: 1, results: results)
        let sigmoid = { (value: Float) in 1 / (1 + exp(-Double(value))) }
        for position in [0, 17, 39] {
            let mean = (sigmoid(first[position]) + 3 * sigmoid(second[position])) / 4
            #expect(abs(bernoulli.scores[0][position] - Self.logit(min(max(mean, 0.01), 0.99))) < 1e-4)
        }
    }

    /// A client's draw keeps every position of score +20 and none of score -20 (training cannot
    /// move them: sigmoid' is below 1e-8 there), reproducibly, and reports the fraction it kept.
    @Test func clientDrawsItsMaskFromTheScores() throws {
        let setup = Self.setup()
        let server = try HideNseekServer(setup: setup)
        let clients = try Self.clients()
        let high: Set<Int> = [1, 4, 9, 16, 25, 36]
        var task = try server.tasks(round: 1, clients: [0])[0]
        task.tensors = [
            NamedTensor(
                name: "fc.scores",
                tensor: Tensor(shape: [10, 4], values: (0..<40).map { high.contains($0) ? 20 : -20 }))
        ]
        let result = try HideNseekClient(setup: setup).run(task, on: clients[0])
        #expect(result.outcome == .ok)
        #expect(result.tensors.map(\.name) == ["fc.mask"])
        #expect(result.tensors[0].payload == .mask(shape: [10, 4], indices: high.sorted().map { Int32($0) }))
        #expect(result.metrics["upload_density"] == 6.0 / 40)
        #expect(result.metrics["samples"] == Double(clients[0].data.count))
    }

    /// Clients of middling scores draw different masks, each the same when run again.
    @Test func drawsAreReproduciblePerClient() throws {
        let setup = Self.setup()
        let server = try HideNseekServer(setup: setup)
        let clients = try Self.clients()
        let tasks = try server.tasks(round: 1, clients: [0, 1])
        let client = try HideNseekClient(setup: setup)
        let first = try client.run(tasks[0], on: clients[0])
        let again = try HideNseekClient(setup: setup).run(tasks[0], on: clients[0])
        let other = try client.run(tasks[1], on: clients[1])
        #expect(first.tensors[0].payload == again.tensors[0].payload)
        #expect(first.tensors[0].payload != other.tensors[0].payload)
    }

    /// With score uploads the scores come back trained, and only they travel.
    @Test func clientTrainsAndSendsScores() throws {
        let setup = Self.setup(["sampling": "topk", "upload": "scores"])
        let server = try HideNseekServer(setup: setup)
        let task = try server.tasks(round: 1, clients: [0])[0]
        let sent = try task.tensors[0].denseTensor().values
        let result = try HideNseekClient(setup: setup).run(task, on: try Self.clients()[0])
        #expect(result.tensors.map(\.name) == ["fc.scores"])
        let trained = try result.tensors[0].denseTensor().values
        #expect(trained.count == 40 && trained != sent)
        #expect(result.metrics["upload_density"] == nil)
        try server.aggregate(round: 1, results: [DynamicMaskHarness.detached(result)])
        #expect(server.scores[0] == trained)
    }

    /// The checkpoint keeps scores and counts; a restored server has the same model.
    @Test func checkpointRestoresScoresAndMasks() throws {
        let setup = Self.setup(settings: ["prior_reset": 3])
        let server = try HideNseekServer(setup: setup)
        try server.aggregate(round: 1, results: [Self.maskResult(client: 0, round: 1, [2, 3, 30])])
        let restored = try HideNseekServer(setup: setup)
        try restored.restore(checkpointExtra: server.checkpointExtra())
        #expect(restored.scores == server.scores)
        #expect(restored.ones == server.ones && restored.draws == 1)
        #expect(DynamicMaskHarness.bits(restored.global) == DynamicMaskHarness.bits(server.global))
        var damaged = server.checkpointExtra()!
        damaged.removeLast()
        #expect(throws: (any Error).self) { try restored.restore(checkpointExtra: damaged) }
    }

    /// Settings that contradict each other are refused with the method's name.
    @Test func refusesTopKMaskUploads() {
        #expect(throws: FederationError.self) {
            try HideNseekServer(setup: Self.setup(["sampling": "topk", "upload": "mask"]))
        }
        #expect(throws: FederationError.self) { try HideNseekClient(setup: Self.setup(settings: ["density": 0])) }
    }

    /// The registry builds both halves, with the defaults: top-k sampling, score uploads at rate 10.
    @Test func theRegistryBuildsItWithItsDefaults() throws {
        var setup = Self.setup()
        setup.settings = ["density": .number(0.25)]
        let server = try MethodRegistry.standard.server("hidenseek", setup: setup)
        let task = try server.tasks(round: 1, clients: [0])[0]
        #expect(task.settings["learning_rate"] == 10)
        #expect(server.contract(for: task).entries == [.init(name: "fc.scores", form: .dense(shape: [10, 4]))])
        #expect(try MethodRegistry.standard.client("hidenseek", setup: setup) is HideNseekClient)
        #expect(HideNseekSettings().values["sampling"] == .choice("topk"))
    }
}

// Each half built from a setup's values, decoded as the method's descriptor does.
extension HideNseekServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "hidenseek"))
    }
}

extension HideNseekClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "hidenseek"))
    }
}
