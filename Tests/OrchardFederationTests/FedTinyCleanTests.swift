import Foundation
import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("FedTinyClean")
struct FedTinyCleanTests {
    let setup = DynamicMaskHarness.setup([:])

    @Test func adjustmentResultsCarryDenseGradientsCountedInTheMemoryCheck() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try FedTinyCleanServer(setup: setup)
        let host = try FedTinyCleanClient(setup: setup)
        let plain = try host.run(try server.tasks(round: 1, clients: [0])[0], on: clients[0])
        let task = try server.tasks(round: 2, clients: [0])[0]
        #expect(task.kind == .adjust)
        let result = try host.run(task, on: clients[0])
        var denseBytes = 0
        for named in server.global.parameters where named.parameter.kind.isTrainable {
            let gradient = try result.tensor(named: DenseGradients.prefix + named.name)
            guard case .dense(let values) = gradient.payload else {
                Issue.record("\(named.name): the gradient is not dense")
                continue
            }
            #expect(values.shape == named.parameter.shape)
            denseBytes += 4 * values.count
            if let kept = server.masks[named.name], kept.count < values.count {
                let keptSet = Set(kept.map(Int.init))
                #expect((0..<values.count).contains { !keptSet.contains($0) && values[$0] != 0 }, "\(named.name)")
            }
        }
        #expect(!plain.tensors.contains { $0.name.hasPrefix(DenseGradients.prefix) })
        let extra = result.metrics["predicted_peak_bytes"]! - plain.metrics["predicted_peak_bytes"]!
        #expect(Int(extra) >= denseBytes, "the dense gradient is a method buffer")
        #expect(
            result.metrics["peak_memory_bytes"]! >= plain.metrics["peak_memory_bytes"]! + Double(denseBytes),
            "\(result.metrics) \(plain.metrics) \(denseBytes)")

        // A budget between the two refuses the adjustment round and names the method buffers.
        let budget = Int(plain.metrics["predicted_peak_bytes"]!) + denseBytes / 2
        let small = LocalClient(id: 0, data: clients[0].data, memoryBudget: budget)
        let refused = try host.run(try server.tasks(round: 2, clients: [0])[0], on: small)
        #expect(refused.outcome == .refused)
        #expect(refused.reason.contains("method buffers"))
        #expect(try host.run(try server.tasks(round: 1, clients: [0])[0], on: small).outcome == .ok)
    }

    @Test func adjustmentRoundMovesTheMaskAtTheDensityWithGrownWeightsZero() throws {
        let clients = try DynamicMaskHarness.clients()
        let server = try FedTinyCleanServer(setup: setup)
        let targets = server.targetCounts
        var previous = server.masks
        try DynamicMaskHarness.run(
            server, rounds: 1...2, clients: clients, host: { _ in try! FedTinyCleanClient(setup: setup) }
        ) { round, _ in
            #expect(DynamicMaskHarness.counts(server.masks) == targets, "round \(round)")
            if round == 1 { #expect(server.masks == previous) }
            if round == 2 {
                #expect(server.masks != previous)
                for (name, kept) in server.masks {
                    let new = Set(kept).subtracting(previous[name]!)
                    let values = server.global.parameter(named: name)!.value
                    #expect(new.allSatisfy { values[Int($0)] == 0 }, "\(name): grown weights start at zero")
                }
            }
            previous = server.masks
        }
    }

    @Test func growthDataModesAllWork() throws {
        let clients = try DynamicMaskHarness.clients()
        for mode in ["entire", "single", "random"] {
            let modeSetup = DynamicMaskHarness.setup(["adjustment_epochs": 2], choices: ["growth_data_mode": mode])
            let server = try FedTinyCleanServer(setup: modeSetup)
            let task = try server.tasks(round: 2, clients: [1])[0]
            #expect(try task.setting("epochs") == 2)
            let result = try FedTinyCleanClient(setup: modeSetup).run(task, on: clients[1])
            #expect(result.outcome == .ok)
            #expect(result.tensors.filter { $0.name.hasPrefix(DenseGradients.prefix) }.count > 0, "\(mode)")
        }
        let pruned = DynamicMaskHarness.setup([:], choices: ["gradient_upload": "pruned"])
        let server = try FedTinyCleanServer(setup: pruned)
        let result = try FedTinyCleanClient(setup: pruned).run(
            try server.tasks(round: 2, clients: [1])[0], on: clients[1])
        let names = Set(result.tensors.map(\.name).filter { $0.hasPrefix(DenseGradients.prefix) })
        #expect(names == Set(server.masks.keys.map { DenseGradients.prefix + $0 }))
    }

    @Test func roundsAreDeterministicAndIndependentOfTheHost() throws {
        let clients = try DynamicMaskHarness.clients()
        let first = try FedTinyCleanServer(setup: setup)
        let shared = try FedTinyCleanClient(setup: setup)
        try DynamicMaskHarness.run(first, rounds: 1...3, clients: clients, host: { _ in shared })
        let second = try FedTinyCleanServer(setup: setup)
        let separate = try (0..<3).map { _ in try FedTinyCleanClient(setup: setup) }
        try DynamicMaskHarness.run(second, rounds: 1...3, clients: clients, host: { separate[$0] })
        #expect(DynamicMaskHarness.bits(first.global) == DynamicMaskHarness.bits(second.global))
        #expect(first.masks == second.masks)
    }

    @Test func scheduleAdjustsEveryDeltaRoundsUntilTheEnd() {
        let schedule = AdjustmentSchedule(interval: 10, endRound: 30, alpha: 0.2)
        #expect((1...40).filter(schedule.adjusts(round:)) == [10, 20, 30])
        #expect(abs(schedule.fraction(round: 10) - 0.1 * (1 + cos(Double.pi / 3))) < 1e-12)
        #expect(schedule.fraction(round: 30) == 0)
    }
}
