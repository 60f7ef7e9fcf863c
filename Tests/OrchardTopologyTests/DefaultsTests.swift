import OrchardFederation
import OrchardTopology
import Testing

/// What a topology means when it leaves keys out, and what the shorthand forms stand for.
@Suite("Defaults")
struct DefaultsTests {
    @Test("every optional key takes its documented default")
    func defaults() throws {
        let topology = try Fixture.plan(Fixture.minimal).topology
        #expect(topology.name == "tiny")
        #expect(topology.seed == 0)
        #expect(topology.rounds == 3)
        #expect(topology.partition == .iid)
        #expect(topology.model == ModelSpec(name: "logreg", width: 1))
        #expect(topology.method == MethodSpec(name: "fedavg"))
        #expect(
            topology.training
                == LocalTraining(
                    epochs: 1, batch: 64, learningRate: 0.05, momentum: 0, weightDecay: 0, freshOptimizer: true))
        #expect(topology.clientsPerRound == 4)
        #expect(topology.evaluateEvery == 1)
        #expect(topology.deadline == nil)
        #expect(topology.timeouts == Timeouts(task: 600, heartbeat: 5))
        #expect(topology.quorum == 0.5)
        #expect(topology.checkpointEvery == 10)
        #expect(topology.groups == [ClientGroup(name: "group0", count: 4)])
        let group = try #require(topology.groups.first)
        #expect(group.memory == nil && group.link == nil && group.compute == nil && group.availability == 1)
    }

    @Test("the generated data sets' defaults, and the standard folders of the real ones")
    func datasetDefaults() throws {
        let grey = try Fixture.plan(
            Fixture.minimal.replacingOccurrences(of: ", train_samples: 200, test_samples: 50", with: ""))
        #expect(
            grey.topology.dataset.kind
                == .syntheticImages(
                    SyntheticImagesSettings(shape: [1, 28, 28], trainSamples: 12_000, testSamples: 2_000)))
        #expect(grey.dataDirectory == nil)
        let colour = try Fixture.plan(
            Fixture.minimal.replacingOccurrences(of: "kind: synthetic-images,", with: "kind: synthetic-images-rgb,"))
        #expect(colour.topology.dataset.sampleShape == [3, 32, 32])
        let synthetic = try Fixture.plan(
            Fixture.minimal.replacingOccurrences(
                of: "{kind: synthetic-images, train_samples: 200, test_samples: 50}",
                with: "{kind: synthetic, alpha: 1, beta: 0.5}"))
        #expect(
            synthetic.topology.dataset.kind
                == .synthetic(SyntheticSettings(alpha: 1, beta: 0.5, dimension: 60, classes: 10, testFraction: 0.2)))
        #expect(synthetic.topology.partition == .natural)
        #expect(synthetic.model.trainableCount == 60 * 10 + 10)
        for kind in ["mnist", "fashion-mnist", "cifar10", "cifar100"] {
            let plan = try Fixture.plan(
                Fixture.minimal.replacingOccurrences(
                    of: "{kind: synthetic-images, train_samples: 200, test_samples: 50}", with: kind),
                root: "/repository", checksDataFiles: false)
            #expect(plan.topology.dataset.path == "data/\(kind)")
            #expect(plan.dataDirectory == "/repository/data/\(kind)")
        }
    }

    @Test("partition kinds take their default settings")
    func partitionDefaults() throws {
        let cases: [(String, PartitionSpec)] = [
            ("iid", .iid), ("dirichlet", .dirichlet(alpha: 0.5, minimum: 10)),
            ("quantity-skew", .quantitySkew(alpha: 0.5, minimum: 10)), ("shards", .shards(classesPerClient: 2)),
        ]
        for (name, expected) in cases {
            // Five clients, so that two shards each cover the ten classes.
            let text = Fixture.minimal.replacingOccurrences(of: "count: 4", with: "count: 5") + "\npartition: \(name)\n"
            #expect(try Fixture.plan(text).topology.partition == expected, "partition: \(name)")
        }
    }

    @Test("a whole topology written out reads back as written")
    func everything() throws {
        let text = """
            name: full
            seed: 18446744073709551615
            rounds: 1_000
            dataset: {kind: synthetic-images-rgb, train_samples: 300, test_samples: 40, classes: 4, noise: 0.25}
            partition: {kind: dirichlet, alpha: 0.1, minimum: 5}
            model: {name: resnet8, width: 0.5}
            method: {name: fedavg}
            training: {epochs: 3, batch: 16, lr: 1e-3, momentum: 0.9, weight_decay: 5e-4, fresh_optimizer: no}
            clients_per_round: 3
            eval_every: 10
            deadline: 1.5min
            timeouts: {task: 2min, heartbeat: 500ms, liveness: 4}
            quorum: 80%
            checkpoint_every: 0
            groups:
              - name: phones
                count: 5
                memory: 16MiB
                link: {up: 5Mbps, down: 2MB/s, latency: 40ms}
                compute: 2GFLOPS
                availability: 0.9
            """
        let topology = try Fixture.plan(text).topology
        #expect(topology.seed == UInt64.max)
        #expect(topology.rounds == 1000)
        #expect(
            topology.dataset.kind
                == .syntheticImages(
                    SyntheticImagesSettings(
                        shape: [3, 32, 32], trainSamples: 300, testSamples: 40, classes: 4, noise: 0.25)))
        #expect(topology.partition == .dirichlet(alpha: 0.1, minimum: 5))
        #expect(topology.model == ModelSpec(name: "resnet8", width: 0.5))
        #expect(
            topology.training
                == LocalTraining(
                    epochs: 3, batch: 16, learningRate: 1e-3, momentum: 0.9, weightDecay: 5e-4, freshOptimizer: false))
        #expect(topology.clientsPerRound == 3)
        #expect(topology.evaluateEvery == 10)
        #expect(topology.deadline == 90)
        #expect(topology.timeouts == Timeouts(task: 120, heartbeat: 0.5, liveness: 4))
        #expect(topology.quorum == 0.8)
        #expect(topology.checkpointEvery == 0)
        #expect(
            topology.groups == [
                ClientGroup(
                    name: "phones", count: 5, memory: 16 << 20, link: Link(up: 5e6, down: 1.6e7, latency: 0.04),
                    compute: 2e9, availability: 0.9)
            ])
    }

    @Test("null means none for keys whose default is none")
    func nulls() throws {
        let text = Fixture.minimal + "\n    memory: ~\n    link: null\n    compute:\ndeadline: null\n"
        let topology = try Fixture.plan(text).topology
        #expect(topology.groups.first == ClientGroup(name: "group0", count: 4))
        #expect(topology.deadline == nil)
    }

    @Test("groups can share settings through YAML anchors and merge keys, their own keys winning")
    func mergeKeys() throws {
        let text = """
            name: anchors
            rounds: 2
            dataset: synthetic-images
            model: logreg
            groups:
              - &phone
                name: old-phones
                count: 2
                memory: 1MB
                link: {up: 1Mbps, down: 5Mbps}
              - <<: *phone
                name: new-phones
                memory: 4MB
            """
        let groups = try Fixture.plan(text).topology.groups
        #expect(groups.map(\.name) == ["old-phones", "new-phones"])
        #expect(groups.map(\.memory) == [1_000_000, 4_000_000])
        #expect(groups[1].count == 2)
        #expect(groups[1].link == Link(up: 1e6, down: 5e6))
    }
}
