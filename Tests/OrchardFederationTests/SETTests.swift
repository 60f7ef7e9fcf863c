import OrchardNN
import OrchardPruning
import Testing

@testable import OrchardFederation

/// `set`: sparse from the start, the server drops the smallest weights and regrows at random.
@Suite("SET")
struct SETTests {
    static func settings() -> SETSettings {
        var settings = SETSettings(density: 0.5)
        settings.pruning = GradualPruningTests.pruning(0.5)
        settings.pruning.allocation = .layerwise(.uniform)
        settings.schedule = AdjustmentSchedule(interval: 2, endRound: 1000, alpha: 0.4)
        return settings
    }

    @Test("an adjustment round drops the int(f · 6) = 2 smallest kept |w| and regrows 2 at random, at zero")
    func adjustment() throws {
        let server = try SETServer(setup: GradualPruningTests.setup, settings: Self.settings())
        let before = try #require(GradualPruningTests.weightMask(server))
        #expect(before.count == 6, "half of the 12 weights from the start")
        let weights: (Int) -> Float = { Float($0 + 1) }
        try server.aggregate(
            round: 1, results: try GradualPruningTests.results(server.global, round: 1, weights: weights, bias: 0))
        #expect(GradualPruningTests.weightMask(server) == before, "round 1 does not adjust")
        try server.aggregate(
            round: 2, results: try GradualPruningTests.results(server.global, round: 2, weights: weights, bias: 0))
        // f(2) = 0.2 (1 + cos(2π/1000)) ≈ 0.39998 of 6 kept: 2 move. |w_i| = i + 1, so the two
        // lowest kept positions drop; the two inactive positions of largest random score grow.
        let dropped = Array(before.prefix(2))
        let survivors = Array(before.dropFirst(2))
        let scores = SETServer.growthScores(server.model.modelMask, seed: 3, round: 2).values[0]
        let candidates = (0..<Int32(12)).filter { !survivors.contains($0) }
        let grown = candidates.sorted {
            scores[Int($0)] != scores[Int($1)] ? scores[Int($0)] > scores[Int($1)] : $0 < $1
        }
        .prefix(2)
        let after = try #require(GradualPruningTests.weightMask(server))
        #expect(after == (survivors + grown).sorted())
        let values = try #require(server.global.parameters.first { $0.parameter.kind == .weight }).parameter
            .denseValue().values
        for position in 0..<12 {
            let expected: Float = survivors.contains(Int32(position)) ? Float(position + 1) : 0
            #expect(values[position] == expected, "position \(position), dropped \(dropped), grown \(Array(grown))")
        }
        let again = try SETServer(setup: GradualPruningTests.setup, settings: Self.settings())
        for round in 1...2 {
            try again.aggregate(
                round: round,
                results: try GradualPruningTests.results(again.global, round: round, weights: weights, bias: 0))
        }
        #expect(again.masks == server.masks, "the regrowth follows the seed")
    }

    @Test("tasks are plain training with the kept values; nothing else is asked of clients")
    func tasks() throws {
        let server = try SETServer(setup: GradualPruningTests.setup, settings: Self.settings())
        let task = try #require(try server.tasks(round: 2, clients: [0]).first)
        #expect(task.kind == .train)
        #expect(server.contract(for: task).entries.allSatisfy { !$0.name.hasPrefix(DenseGradients.prefix) })
    }
}
