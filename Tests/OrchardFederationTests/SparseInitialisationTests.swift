import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

/// The comparison's settings of the initial sparse model: kept weights rescaled, FedTiny's layer
/// floor and move counts, and its warning when selection is decided by noise.
@Suite("Sparse initialisation settings")
struct SparseInitialisationTests {
    static func fixedMask(rescale: Bool, distribution: String = "erk") -> MethodSetup {
        MethodSetup(
            seed: 4, model: "lenet5", sampleShape: [1, 28, 28], classes: 10, training: LocalTraining(batch: 16),
            settings: SetupValues.typed(
                ["density": 0.05, "rescale_kept": rescale ? 1 : 0],
                choices: ["criterion": "magnitude", "distribution": distribution]))
    }

    @Test(arguments: ["erk", "global"])
    func fixedMaskRescalesEachLayersKeptWeightsByTheRootOfItsDensity(distribution: String) throws {
        let plain = try FixedMaskServer(setup: Self.fixedMask(rescale: false, distribution: distribution))
        let scaled = try FixedMaskServer(setup: Self.fixedMask(rescale: true, distribution: distribution))
        #expect(plain.masks == scaled.masks)
        for entry in plain.global.prunableLayers() {
            let weight = entry.layer.weight
            let factor = Float(1 / weight.density.squareRoot())
            let before = weight.value.values
            let after = try #require(scaled.global.parameter(named: entry.name)).value.values
            for index in before.indices { #expect(after[index] == before[index] * factor, "\(entry.name)[\(index)]") }
        }
        // Biases are left alone.
        #expect(
            plain.global.parameter(named: "fc3.bias")!.value.values
                == scaled.global.parameter(named: "fc3.bias")!.value.values)
    }

    @Test func dynamicMethodsStartFromTheRescaledModel() throws {
        var values = Self.fixedMask(rescale: true)
        values.settings.removeValue(forKey: "criterion")
        let scaled = try FedDSTServer(setup: values)
        values.settings["rescale_kept"] = .boolean(false)
        let plain = try FedDSTServer(setup: values)
        let name = "fc3.weight"
        let weight = try #require(plain.global.parameter(named: name))
        let factor = Float(1 / weight.density.squareRoot())
        #expect(scaled.global.parameter(named: name)!.value.values == weight.value.values.map { $0 * factor })
    }

    @Test func graNetsSparseStartIsRescaled() throws {
        var settings = GraNetSettings(density: 0.05)
        settings.initialDensity = 0.2
        let setup = Self.fixedMask(rescale: false)
        let plain = try GraNetServer(setup: setup, settings: settings)
        settings.gradual.pruning.rescaleKept = true
        let scaled = try GraNetServer(setup: setup, settings: settings)
        #expect(plain.masks == scaled.masks)
        let name = "fc1.weight"  // ERK keeps the small fc3 dense at 20%
        let weight = try #require(plain.global.parameter(named: name))
        let factor = Float(1 / weight.density.squareRoot())
        #expect(factor > 1)
        #expect(scaled.global.parameter(named: name)!.value.values == weight.value.values.map { $0 * factor })
    }

    @Test func aDensityFloorLiftsEveryCandidateLayer() throws {
        let setup = FedTinyTests.setup(["candidates": 3, "pretrain_epochs": 0])
        var configuration = try FedTinyConfiguration(setup)
        let network = try setup.makeNetwork()
        let plain = try CandidatePool(for: network, configuration: configuration, seed: 7)
        configuration.densityFloor = 0.06
        let floored = try CandidatePool(for: network, configuration: configuration, seed: 7)
        let sizes = floored.masks[0].masks.map(\.elementCount)
        for (candidate, densities) in floored.layerDensities.enumerated() {
            #expect(densities.allSatisfy { $0 >= 0.06 }, "\(densities)")
            for (mask, size) in zip(floored.masks[candidate].masks, sizes) {
                #expect(mask.count >= Int(0.06 * Double(size)))
            }
            #expect(
                abs(floored.realisedDensity(candidate) - floored.target) <= CandidatePool.tolerance * floored.target)
        }
        // Without the floor some layer of some candidate drew less.
        #expect(plain.layerDensities.joined().contains { $0 < 0.06 })
        // A floor above the target cannot be met by any draw.
        configuration.densityFloor = 0.5
        #expect(throws: FederationError.self) { try CandidatePool(for: network, configuration: configuration, seed: 7) }
    }

    @Test func moveCountsRoundUpByDefaultAsTheFedTinyCodeDoes() throws {
        var configuration = try FedTinyConfiguration(FedTinyTests.setup(["delta": 10, "t_end": 100]))
        #expect(configuration.moveRounding == .up)
        let up = BlockSchedule(names: ["a", "b"], configuration: configuration)
        configuration.moveRounding = .down
        let down = BlockSchedule(names: ["a", "b"], configuration: configuration)
        // f(10) = 0.1 (1 + cos(π/10)) ≈ 0.195: a layer of 3 kept weights moves one, or none truncated.
        #expect(up.count(active: 3, round: 10) == 1 && down.count(active: 3, round: 10) == 0)
        #expect(up.count(active: 1000, round: 10) == 196 && down.count(active: 1000, round: 10) == 195)
        #expect(up.count(active: 1000, round: 100) == 0)
    }

    @Test func indistinguishableCandidatesAreNotedOnce() throws {
        let server = try FedTinyServer(setup: FedTinyTests.setup(["pretrain_epochs": 0]))
        let close = [
            ClientResult(
                client: 0, round: 2, kind: .score,
                metrics: ["validation_samples": 10, "loss_sum.0": 23.09, "loss_sum.1": 23.08, "loss_sum.2": 23.1])
        ]
        try server.aggregate(round: 2, results: close)
        #expect(server.selected == 1)
        let notes = server.takeNotes()
        #expect(notes.count == 1 && notes[0].contains("candidate 1 was picked by noise"), "\(notes)")
        #expect(server.takeNotes().isEmpty)
        #expect(FedTinyServer.relativeSpread([2.308, 2.309]).map { $0 < 0.01 } == true)
        #expect(FedTinyServer.relativeSpread([2.0, 2.5]) == 0.25)
        #expect(FedTinyServer.relativeSpread([.nan, 2.0]) == nil)

        let apart = try FedTinyServer(setup: FedTinyTests.setup(["pretrain_epochs": 0]))
        let distinct = [
            ClientResult(
                client: 0, round: 2, kind: .score,
                metrics: ["validation_samples": 10, "loss_sum.0": 23, "loss_sum.1": 18, "loss_sum.2": 20])
        ]
        try apart.aggregate(round: 2, results: distinct)
        #expect(apart.selected == 1 && apart.takeNotes().isEmpty)
    }

    @Test func fedTinyRescalesTheSelectedCandidate() throws {
        let scaled = try FedTinyServer(setup: FedTinyTests.setup(["pretrain_epochs": 0, "rescale_kept": 1]))
        let plain = try FedTinyServer(setup: FedTinyTests.setup(["pretrain_epochs": 0]))
        for server in [scaled, plain] { try server.adopt(candidate: 0) }
        for (name, kept) in plain.pool.masks[0].keptPositions {
            let weight = try #require(plain.global.parameter(named: name))
            let factor = Float(1 / weight.density.squareRoot())
            let after = try #require(scaled.global.parameter(named: name)).value.values
            for index in kept.map(Int.init) { #expect(after[index] == weight.value.values[index] * factor) }
        }
    }
}
