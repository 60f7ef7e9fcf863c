import Foundation
import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("FedTiny")
struct FedTinyTests {
    static let shape = [1, 12, 12]
    static let split = SyntheticImages.generate(shape: shape, trainCount: 180, testCount: 60, seed: 5)

    static func setup(
        model: String = "lenet5", sampleShape: [Int] = shape, width: Double = 1, _ extra: [String: Double] = [:]
    ) -> MethodSetup {
        var settings: [String: Double] = [
            "density": 0.1, "candidates": 3, "pretrain_epochs": 1, "bn_passes": 2, "validation_fraction": 0.2,
            "delta": 4, "t_end": 20, "adjust_alpha": 0.2, "topk_buffer_bytes": 4096,
        ]
        settings.merge(extra) { _, new in new }
        let data =
            sampleShape == shape
            ? split
            : SyntheticImages.generate(
                shape: sampleShape, trainCount: 180, testCount: 60, seed: 5)
        return MethodSetup(
            seed: 7, model: model, width: width, sampleShape: sampleShape, classes: 10,
            training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05), settings: SetupValues.typed(settings),
            serverData: data.test.samplesPerClass(2, random: RandomStream(seed: 7, purpose: "server-data")))
    }

    static func clients(_ split: DatasetSplit = split, budgets: [Int?] = [nil, nil, nil]) throws -> [LocalClient] {
        let parts = try Partition.dirichlet(
            labels: split.train.labels, classes: 10, clients: budgets.count, alpha: 0.5, minimumPerClient: 10, seed: 5)
        return parts.enumerated().map {
            LocalClient(id: $0.offset, data: split.train.subset($0.element), memoryBudget: budgets[$0.offset])
        }
    }

    /// A result whose tensors no longer share the host network's storage.
    static func detached(_ result: ClientResult) throws -> ClientResult {
        var copy = result
        copy.tensors = result.tensors.map { tensor in
            switch tensor.payload {
            case .dense(let values): return NamedTensor(name: tensor.name, tensor: values.copy())
            default: return tensor
            }
        }
        return copy
    }

    /// Runs `rounds` of the method in-process; `host` gives the client object for each task.
    static func run(
        _ server: FedTinyServer, rounds: ClosedRange<Int>, clients: [LocalClient],
        host: (ClientTask) throws -> FedTinyClient
    ) throws -> [Int: [ClientResult]] {
        var all: [Int: [ClientResult]] = [:]
        for round in rounds {
            let results = try server.tasks(round: round, clients: clients.map(\.id)).map { task in
                try detached(try host(task).run(task, on: clients[task.client]))
            }
            all[round] = results
            try server.aggregate(round: round, results: results.filter { $0.outcome == .ok })
        }
        return all
    }

    // MARK: candidate pool

    @Test func candidatePoolHitsTheTargetAndFollowsTheSeed() throws {
        let setup = Self.setup(["candidates": 4])
        let configuration = try FedTinyConfiguration(setup)
        let network = try setup.makeNetwork()
        let pool = try CandidatePool(for: network, configuration: configuration, seed: 7)
        #expect(pool.masks.count == 4)
        #expect(!pool.masks[0].names.contains("conv1.weight"), "the stem stays dense by default")
        for candidate in 0..<4 {
            #expect(abs(pool.realisedDensity(candidate) - pool.target) <= 0.02 * pool.target)
        }
        #expect(Set(pool.masks.map(\.keptPositions)).count == 4, "candidates differ in their layer densities")
        // Magnitude pruning: in every layer no pruned weight is larger than a kept one.
        for (name, mask) in pool.masks[1].entries {
            let values = network.parameter(named: name)!.value.values.map(abs)
            let kept = mask.activeIndices.map { values[Int($0)] }.min()!
            let pruned = mask.inactiveIndices.map { values[Int($0)] }.max() ?? 0
            #expect(kept >= pruned, "\(name)")
        }
        #expect(try CandidatePool(for: network, configuration: configuration, seed: 7) == pool)
        #expect(try CandidatePool(for: network, configuration: configuration, seed: 8).masks != pool.masks)
    }

    @Test func noisyErdosRenyiCandidatesHitTheTargetToo() throws {
        let setup = Self.setup(["candidates": 2, "density": 0.2])
        var configuration = try FedTinyConfiguration(setup)
        configuration.densityNoise = .erk
        let pool = try CandidatePool(for: try setup.makeNetwork(), configuration: configuration, seed: 7)
        for candidate in 0..<2 { #expect(abs(pool.realisedDensity(candidate) - pool.target) <= 0.02 * pool.target) }
    }

    // MARK: adaptive batch-norm selection

    @Test func batchNormStatisticsAverageIsSampleWeighted() throws {
        let first = BatchNormStatistics(values: ["bn.running_mean": [1, 2], "bn.running_var": [1, 1]])
        let second = BatchNormStatistics(values: ["bn.running_mean": [5, 6], "bn.running_var": [3, 5]])
        let mean = try BatchNormStatistics.weightedMean([(1, first), (3, second)])
        #expect(mean.values["bn.running_mean"] == [4, 5])
        #expect(mean.values["bn.running_var"] == [2.5, 4])
    }

    @Test func serverAveragesRecalibratedStatisticsBySamples() throws {
        let setup = Self.setup(
            model: "resnet8", sampleShape: [3, 8, 8], width: 0.25, ["candidates": 2, "pretrain_epochs": 0])
        let server = try FedTinyServer(setup: setup)
        let names = server.candidateStatistics[0].values.keys.sorted()
        #expect(!names.isEmpty)
        func report(client: Int, samples: Double, value: Float) -> ClientResult {
            let tensors = (0..<2).flatMap { candidate in
                BatchNormStatistics(
                    values: Dictionary(
                        uniqueKeysWithValues: names.map { name in
                            (
                                name,
                                [Float](
                                    repeating: value + Float(candidate),
                                    count: server.global.parameter(named: name)!.denseCount)
                            )
                        })
                ).tensors(candidate: candidate)
            }
            return ClientResult(
                client: client, round: 1, kind: .batchNormStatistics, metrics: ["validation_samples": samples],
                tensors: tensors)
        }
        try server.aggregate(
            round: 1, results: [report(client: 0, samples: 1, value: 2), report(client: 1, samples: 3, value: 6)])
        for candidate in 0..<2 {
            for name in names {
                #expect(server.candidateStatistics[candidate].values[name]!.allSatisfy { $0 == 5 + Float(candidate) })
            }
        }
    }

    @Test func clientsRecalibrateAndScoreEveryCandidate() throws {
        let setup = Self.setup(
            model: "resnet8", sampleShape: [3, 8, 8], width: 0.25, ["candidates": 2, "pretrain_epochs": 0])
        let split = SyntheticImages.generate(shape: [3, 8, 8], trainCount: 90, testCount: 30, seed: 5)
        let clients = try Self.clients(split, budgets: [nil, nil, 1000])
        let server = try FedTinyServer(setup: setup)
        let pretrained = server.candidateStatistics[0]
        let results = try Self.run(server, rounds: 1...2, clients: clients) { _ in try FedTinyClient(setup: setup) }
        #expect(results[1]![2].outcome == .refused, "a client that cannot hold the dense model refuses selection")
        #expect(results[1]![0].tensors.count == 2 * pretrained.values.count)
        #expect(server.candidateStatistics[0] != pretrained, "statistics follow the clients' data")
        #expect(server.candidateStatistics[0] != server.candidateStatistics[1], "each candidate has its own")
        let losses = try #require(server.candidateLosses)
        #expect(server.selected == FedTinyServer.lowestLoss(losses))
        #expect(results[2]![0].metrics["loss_sum.1"] != nil && results[2]![0].metrics["correct.1"] != nil)
    }

    @Test func selectionPicksTheLowestSampleWeightedLoss() throws {
        let setup = Self.setup(["pretrain_epochs": 0])
        let server = try FedTinyServer(setup: setup)
        let dense = try setup.makeNetwork()
        // Per-client means would pick candidate 0; weighting by samples picks candidate 1.
        let results = [
            ClientResult(
                client: 0, round: 2, kind: .score,
                metrics: ["validation_samples": 10, "loss_sum.0": 1, "loss_sum.1": 8, "loss_sum.2": 9]),
            ClientResult(
                client: 1, round: 2, kind: .score,
                metrics: ["validation_samples": 90, "loss_sum.0": 90, "loss_sum.1": 45, "loss_sum.2": 60]),
        ]
        try server.aggregate(round: 2, results: results)
        #expect(server.selected == 1)
        #expect(server.global.masks == server.pool.masks[1].keptPositions)
        let name = server.pool.masks[1].names[0]
        let kept = server.global.parameter(named: name)!.value.values
        let original = dense.parameter(named: name)!.value.values
        for position in server.pool.masks[1][name]!.activeIndices.map(Int.init) {
            #expect(kept[position] == original[position])
        }
    }

    // MARK: progressive pruning schedule

    @Test func blocksFollowTheNetworksNaturalGroups() throws {
        let resnet = try ModelZoo.make("resnet8", sampleShape: [3, 8, 8], classes: 10, width: 0.25)
        let names = PrunableLayers(resnet).names
        let blocks = BlockSchedule.naturalBlocks(names)
        #expect(blocks.count == 3)
        #expect(
            blocks[0].first == "conv1.weight"
                && blocks[0].allSatisfy { $0 == "conv1.weight" || $0.hasPrefix("layer1.") })
        #expect(blocks[2].last == "fc.weight")
        #expect(
            BlockSchedule.naturalBlocks(["conv2.weight", "fc1.weight", "fc2.weight", "fc3.weight"]) == [
                ["conv2.weight", "fc1.weight"], ["fc2.weight", "fc3.weight"],
            ])
        #expect(BlockSchedule.naturalBlocks(["a", "b", "c"]) == [["a"], ["b", "c"]])
    }

    @Test func adjustmentsCycleFromTheOutputWithACounter() throws {
        var configuration = try FedTinyConfiguration(Self.setup(["delta": 10, "t_end": 100]))
        let schedule = BlockSchedule(names: ["s1", "s2", "s3"], configuration: configuration)
        #expect(schedule.blocks == [["s1"], ["s2", "s3"]])
        let layered = BlockSchedule(
            names: ["a", "b", "c", "d"],
            configuration: {
                configuration.granularity = .layer; return configuration
            }())
        // Rounds 10, 20, 30, 40, 50: an even delta still visits every block, from the output.
        #expect([10, 20, 30, 40, 50].map { layered.adjustedNames(round: $0) } == [["d"], ["c"], ["b"], ["a"], ["d"]])
        #expect(layered.adjustedNames(round: 15).isEmpty && layered.adjustedNames(round: 110).isEmpty)
        #expect(!layered.isAdjustment(2), "selection rounds never adjust")
        #expect(layered.count(active: 1000, round: 0) == 200)
        #expect(layered.count(active: 1000, round: 50) == 100)
        #expect(layered.count(active: 1000, round: 25) == Int(0.1 * (1 + cos(Double.pi / 4)) * 1000))
        #expect(layered.count(active: 1000, round: 100) == 0)
    }

    // MARK: end to end

    @Test func anAdjustmentRoundMovesReportedPositionsAndKeepsCounts() throws {
        let setup = Self.setup(["delta": 3, "topk_buffer_bytes": 64])
        // Client 0 has no budget and a 64-byte buffer; client 1 a budget; client 2 none and the setting.
        let probe = try setup.makeNetwork()
        let training = probe.predictedFootprint(batch: 16, momentum: false).total
        let clients = try Self.clients(budgets: [nil, training * 2, nil])
        let server = try FedTinyServer(setup: setup)
        _ = try Self.run(server, rounds: 1...2, clients: clients) { _ in try FedTinyClient(setup: setup) }
        let before = server.global.masks
        let tasks = try server.tasks(round: 3, clients: [0, 1, 2])
        #expect(tasks.allSatisfy { $0.kind == .adjust })
        let adjusted = server.schedule.adjustedNames(round: 3)
        #expect(adjusted == server.schedule.blocks.last)
        let host = try FedTinyClient(setup: setup)
        let results = try tasks.map { try Self.detached(try host.run($0, on: clients[$0.client])) }
        var reported: [String: Set<Int32>] = [:]
        for result in results {
            #expect(result.outcome == .ok, "\(result.reason)")
            #expect(result.metrics["topk_buffer_bytes"]! <= (result.client == 1 ? Double(training) : 4096))
            for name in adjusted {
                let requested = Int(tasks[result.client].settings["k/" + name]!)
                guard case .sparse(_, let indices, let values) = try result.tensor(named: "topk/" + name).payload else {
                    Issue.record("topk/\(name) is not sparse")
                    continue
                }
                #expect(indices.count <= requested && indices.count == values.count)
                if result.client == 0 { #expect(indices.count <= 64 / 8 - 1, "the 64-byte buffer bounds K") }
                #expect(indices.allSatisfy { !Set(before[name]!).contains($0) }, "only pruned positions")
                reported[name, default: []].formUnion(indices)
            }
        }
        try server.aggregate(round: 3, results: results)
        let after = server.global.masks
        for name in adjusted {
            #expect(after[name]!.count == before[name]!.count)
            let change = try #require(server.lastAdjustment[name])
            #expect(!change.grown.isEmpty)
            #expect(Set(change.grown).isSubset(of: reported[name]!))
            #expect(Set(change.grown).isSubset(of: Set(after[name]!)))
            #expect(Set(change.pruned).isDisjoint(with: Set(after[name]!)))
            let values = server.global.parameter(named: name)!.value.values
            #expect(change.grown.allSatisfy { values[Int($0)] == 0 }, "grown weights start at zero")
        }
        for name in before.keys where !adjusted.contains(name) { #expect(after[name] == before[name]) }
    }

    @Test func aRunIsDeterministicWhicheverHostRanTheTasks() throws {
        let setup = Self.setup()
        let clients = try Self.clients()
        let shared = try FedTinyClient(setup: setup)
        let first = try FedTinyServer(setup: setup)
        let firstResults = try Self.run(first, rounds: 1...4, clients: clients) { _ in shared }
        let second = try FedTinyServer(setup: setup)
        _ = try Self.run(second, rounds: 1...4, clients: clients) { _ in try FedTinyClient(setup: setup) }
        #expect(firstResults[4]!.allSatisfy { $0.kind == .adjust && $0.outcome == .ok })
        #expect(first.selected == second.selected && first.global.masks == second.global.masks)
        for (a, b) in zip(first.global.parameters, second.global.parameters) {
            #expect(
                a.parameter.value.values.map(\.bitPattern) == b.parameter.value.values.map(\.bitPattern), "\(a.name)")
        }
    }
}

@Suite("Result contracts")
struct ResultContractTests {
    /// The selection round's results carry batch-norm statistics, not the state: the contract the
    /// registry's server states says so.
    @Test func fedTinySelectionContractsNameStatisticsNotTheState() throws {
        let server = try MethodRegistry.standard.server("fedtiny", setup: FedTinyTests.setup())
        let task = try #require(try server.tasks(round: 1, clients: [0]).first)
        #expect(task.kind == .batchNormStatistics)
        let contract = server.contract(for: task)
        #expect(contract.entries.allSatisfy { $0.name.hasPrefix("candidate.") })
        #expect(contract.entries.map(\.name) != ResultContract.returningState(of: task).entries.map(\.name))
    }
}
