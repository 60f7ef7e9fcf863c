import OrchardData
import OrchardFederation
import OrchardTopology
import OrchardWire
import Testing

@testable import OrchardRuntime

@Suite("Many clients")
struct ManyClientsTests {
    static let million = """
        name: million
        rounds: 1
        dataset: {kind: synthetic, alpha: 0.5, beta: 0.5}
        model: logreg
        method: fedavg
        clients_per_round: 100
        groups:
          - {name: phones, count: 600000, memory: 4MiB, availability: 50%}
          - {name: laptops, count: 400000, link: {up: 50Mbps, down: 100Mbps}}
        """

    static func plan(_ text: String = million) throws -> RunPlan {
        try TopologyLoader(root: ".", checksDataFiles: false).load(text: text, file: "million.yaml")
    }

    @Test func theDirectoryHoldsAMillionClientsAsTwoBlocks() throws {
        let clients = ClientDirectory(try Self.plan().topology)
        #expect(clients.count == 1_000_000 && clients.blocks.count == 2 && clients.ranges == [0...999_999])
        let phone = try #require(clients.profile(of: 599_999))
        #expect(phone.id == 599_999 && phone.group == "phones" && phone.memoryBudget == 4 << 20)
        let laptop = try #require(clients.profile(of: 600_000))
        #expect(laptop.group == "laptops" && laptop.uplinkBitsPerSecond == 50e6 && laptop.flopsPerSecond == .infinity)
        #expect(clients.profile(of: 1_000_000) == nil && clients.profile(of: -1) == nil)
    }

    @Test func samplingFromTheDirectoryEqualsSamplingFromEveryProfile() throws {
        let groups = ClientDirectory(
            try Self.plan(
                Self.million.replacingOccurrences(of: "count: 600000, memory: 4MiB", with: "count: 200")
                    .replacingOccurrences(of: "count: 400000", with: "count: 100")
            ).topology)
        #expect(groups.count == 300)
        let listed = ClientSampler(seed: 3, profiles: groups.profiles, perRound: 10)
        #expect(listed.clients.blocks.count == 2)
        let grouped = ClientSampler(seed: 3, clients: groups, perRound: 10)
        for round in 1...5 {
            #expect(listed.sample(round: round) == grouped.sample(round: round))
            #expect(listed.available(round: round) == grouped.available(round: round))
        }
    }

    @Test func rangeDifferencesAreTheUncoveredIDs() {
        #expect(ClientRanges.difference([0...99], [10...19, 15...29, 90...200]) == [0...9, 30...89])
        #expect(ClientRanges.difference([0...9, 20...29], [0...29]).isEmpty)
        #expect(ClientRanges.difference([0...Int.max], [5...Int.max]) == [0...4])
        #expect(ClientRanges.difference([3...5], []) == [3...5])
    }

    @Test func aHelloOfAMillionClientsIsAFewBytesAndTheMachineServesThem() throws {
        let codec = MessageCodec(limits: .standard)
        let hello = Message(body: .hello(Hello(hostID: "big", clientRanges: [0...999_999], instance: 1)))
        let encoded = try codec.encode(hello)
        #expect(encoded.size.totalBytes < 64)
        var machine = CoordinatorStateMachine(
            configuration: .init(
                runID: 1, topologyName: "t", seed: 1, heartbeatInterval: .seconds(1), taskTimeout: .seconds(10),
                maxHosts: 2, shardSizes: ShardSizes(count: 1_000_000) { $0 % 7 }, clients: [0...999_999]),
            now: .now)
        #expect(machine.clientsWithoutHost() == [0...999_999])
        let actions = machine.handle(.message(try codec.decode(encoded.byteArrays), from: Array("big".utf8)), now: .now)
        #expect(actions.contains { if case .send(let m, _) = $0, case .welcome = m.body { true } else { false } })
        #expect(machine.clientsWithoutHost().isEmpty && machine.hosts(serving: 765_432) == [Array("big".utf8)])
        let beyond = Message(body: .hello(Hello(hostID: "far", clientRanges: [999_000...1_000_999], instance: 2)))
        let refused = machine.handle(
            .message(try codec.decode(try codec.encode(beyond).byteArrays), from: Array("far".utf8)), now: .now)
        #expect(
            refused.contains {
                if case .send(let m, _) = $0, case .error(let e) = m.body {
                    e.message.contains("1000000-1000999")
                } else {
                    false
                }
            })
    }

    @Test func aHostBuildsItsClientsWhenAskedAndKeepsAFew() throws {
        let plan = try Self.plan()
        let served = try ClientRanges.parse("500000-999999")
        let clients = try HostClients.load(plan, served: served, clients: ClientDirectory(plan.topology))
        #expect(try clients.client(12) == nil)
        let client = try #require(try clients.client(765_432))
        let expected = SyntheticFederated.client(765_432, alpha: 0.5, beta: 0.5, seed: plan.topology.seed)
        #expect(client.data.labels == expected.train.labels && client.memoryBudget == nil)
        #expect(try clients.client(500_000)?.memoryBudget == 4 << 20)
    }

    @Test func theCoordinatorRecordsEveryClientButEvaluatesOnTheFirstThousand() throws {
        let plan = try Self.plan()
        let seed = plan.topology.seed
        let data = try RunData.load(plan)
        #expect(data.sizes[999_999] == SyntheticFederated.trainingSamples(of: 999_999, seed: seed))
        let firstThousand = (0..<RunData.evaluationClients).map {
            SyntheticFederated.client($0, alpha: 0.5, beta: 0.5, seed: seed).test.count
        }
        #expect(data.test.count == firstThousand.reduce(0, +))
    }
}
