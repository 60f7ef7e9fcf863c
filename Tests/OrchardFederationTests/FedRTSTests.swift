import Foundation
import OrchardData
import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("FedRTS")
struct FedRTSTests {
    @Test func anAdjustmentRoundAddsKeptMagnitudesAndReportedGradientsToThePosteriors() {
        var posteriors = BetaPosteriors(count: 6, prior: 1)
        // Kept 0, 1, 2 with |w| 0.9, 0.1, 0.5 and one to move: 0 and 2 survive magnitude pruning
        // (successes), 1 would go (a failure). Of two clients, both name 4 and one names 5.
        ThompsonAdjustment.observe(
            &posteriors, kept: [0, 1, 2], magnitudes: [0.9, 0.1, 0.5], moved: 1, reports: [4: 2, 5: 1], clients: 2)
        #expect(posteriors.alpha == [2, 1, 2, 1, 3, 2])
        #expect(posteriors.beta == [1, 2, 1, 1, 1, 2])
        #expect(posteriors.mean(4) == 0.75 && posteriors.mean(3) == 0.5)
        #expect(posteriors.hasSucceeded(5) && !posteriors.hasSucceeded(3))
    }

    @Test func thompsonSamplingDropsTheWeakestBeliefsAndGrowsTheStrongestCandidates() {
        var posteriors = BetaPosteriors(count: 6, prior: 1)
        // Overwhelming evidence makes the draws' order certain: 1 is dropped (mean ≈ 0.001); of
        // the pruned positions only 4 and 5 ever succeeded, and 4's draw (≈ 0.999) beats 5's (≈ 0.001).
        posteriors.alpha = [1000, 1, 1000, 1, 1000, 2]
        posteriors.beta = [1, 1000, 1, 1, 1, 1000]
        var random = RandomStream(seed: 1, purpose: "test")
        let choice = ThompsonAdjustment.select(posteriors, kept: [0, 1, 2], moved: 1, random: &random)
        #expect(choice.kept == [0, 2, 4] && choice.dropped == [1] && choice.grown == [4])
        // With no candidate nothing moves, so the layer keeps its count.
        let none = ThompsonAdjustment.select(
            BetaPosteriors(count: 6, prior: 1), kept: [0, 1, 2], moved: 2, random: &random)
        #expect(none.kept == [0, 1, 2] && none.grown.isEmpty)
        // Two to move but one candidate (5 never succeeded now): one moves.
        posteriors.alpha[5] = 1
        let one = ThompsonAdjustment.select(posteriors, kept: [0, 1, 2], moved: 2, random: &random)
        #expect(one.kept.count == 3 && one.grown.count == 1)
    }

    @Test func drawsFollowThePosteriorMean() {
        var posteriors = BetaPosteriors(count: 1, prior: 1)
        posteriors.observe(0, successes: 2, trials: 3)
        // Beta(3, 2): mean 0.6, standard deviation 0.2; the mean of 4,000 draws lies within 0.02
        // (over six standard errors) of it.
        var random = RandomStream(seed: 9, purpose: "test")
        let draws = (0..<4000).map { _ in posteriors.sample(0, random: &random) }
        #expect(abs(draws.reduce(0, +) / 4000 - 0.6) < 0.02)
        #expect(draws.allSatisfy { (0...1).contains($0) })
    }

    static func setup() -> MethodSetup {
        DynamicMaskHarness.setup(["delta": 2, "t_end": 10, "adjust_alpha": 0.3, "prior": 1])
    }

    @Test func theServerAsksForTopKInAdjustmentRoundsAndKeepsEveryLayersCount() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try FedRTSServer(setup: Self.setup())
        let counts = DynamicMaskHarness.counts(server.masks)
        let train = try server.tasks(round: 1, clients: [0])[0]
        #expect(train.kind == .train && !train.settings.keys.contains { $0.hasPrefix("k/") })
        let adjust = try server.tasks(round: 2, clients: [0])[0]
        // Round 2 of t_end 10 with alpha 0.3: f = 0.15 (1 + cos(π/5)) = 0.27135; k = ⌊f · kept⌋.
        let fraction = 0.15 * (1 + cos(Double.pi / 5))
        for (name, kept) in counts {
            #expect(adjust.settings["k/\(name)"] == Double(Int(fraction * Double(kept))), "\(name)")
        }
        let before = server.masks
        let client = try FedRTSClient(setup: Self.setup())
        try DynamicMaskHarness.run(server, rounds: 1...2, clients: clients, host: { _ in client }) { round, results in
            if round == 2 { #expect(results.allSatisfy { $0.tensors.contains { $0.name.hasPrefix("topk/") } }) }
        }
        #expect(DynamicMaskHarness.counts(server.masks) == counts)
        #expect(server.masks != before, "the adjustment moved no weight")
        #expect(server.posteriors.values.contains { $0.alpha.contains { $0 > 1 } })

        // A checkpoint carries the masks and posteriors.
        let restored = try FedRTSServer(setup: Self.setup())
        try restored.restore(checkpointExtra: server.checkpointExtra())
        #expect(restored.masks == server.masks && restored.posteriors == server.posteriors)
        var damaged = try #require(server.checkpointExtra())
        damaged.removeLast(3)
        #expect(throws: (any Error).self) { try FedRTSServer(setup: Self.setup()).restore(checkpointExtra: damaged) }
    }

    @Test func aPriorOutOfRangeIsRefused() {
        var setup = Self.setup()
        setup.settings["prior"] = .number(0)
        #expect(throws: FederationError.self) { try FedRTSServer(setup: setup) }
    }
}

// Each half built from a setup's values, decoded as the method's descriptor does.
extension FedRTSServer {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fedrts"))
    }
}

extension FedRTSClient {
    convenience init(setup: MethodSetup) throws {
        try self.init(setup: setup, settings: .decode(setup.settings, method: "fedrts"))
    }
}
