import OrchardTopology
import Testing

/// Groups expand into clients with stable ids, numbered through the groups in order.
@Suite("Expansion")
struct ExpansionTests {
    static let text = """
        name: expansion
        rounds: 1
        dataset: synthetic-images
        model: mlp
        groups:
          - name: phones
            count: 3
            memory: 4MB
            link: {up: 5Mbps, down: 20Mbps, latency: 40ms}
            compute: 2GFLOPS
            availability: 90%
          - name: servers
            count: 1
          - name: boards
            count: 2
            memory: 4MiB
            compute: 200MFLOPS
        """

    @Test("ids run 0..<N through the groups, each client carrying its group's device and link")
    func clients() throws {
        let plan = try Fixture.plan(Self.text)
        let clients = plan.clients
        #expect(clients.map(\.id) == Array(0..<6))
        #expect(clients.map(\.group) == ["phones", "phones", "phones", "servers", "boards", "boards"])
        #expect(clients.map(\.groupIndex) == [0, 0, 0, 1, 2, 2])
        #expect(clients.map(\.indexInGroup) == [0, 1, 2, 0, 0, 1])
        #expect(clients.map(\.memory) == [4_000_000, 4_000_000, 4_000_000, nil, 4_194_304, 4_194_304])
        #expect(clients[0].link == Link(up: 5e6, down: 2e7, latency: 0.04))
        #expect(clients[3].link == nil && clients[3].compute == nil && clients[3].availability == 1)
        #expect(clients[5].compute == 2e8)
        #expect(clients.map(\.availability) == [0.9, 0.9, 0.9, 1, 1, 1])
        #expect(plan.topology.clientCount == 6)
        #expect(plan.topology.clientsPerRound == 6)
    }

    @Test("the plan keeps the source and sizes the model from the zoo")
    func plan() throws {
        let plan = try Fixture.plan(Self.text)
        #expect(plan.source == Self.text)
        #expect(plan.file == "test.yaml")
        // MLP 784-300-100-10.
        let parameters = 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
        #expect(plan.model.stateCount == parameters && plan.model.trainableCount == parameters)
        #expect(plan.model.denseBatchPeak != nil, "measured for the topology's batch")
        #expect(plan.model.stateBytes == 4 * parameters)
        #expect(plan.summary.hasPrefix("expansion: 1 round of fedavg with 6 of 6 clients per round, in 3 groups"))
        #expect(plan.summary.contains("phones 3, 4MB, 5Mbps up/20Mbps down/40ms, 2GFLOPS, 90% available"))
        #expect(plan.summary.contains("266,610 trainable parameters"))
    }

    @Test("a topology built in code expands the same way")
    func built() {
        let topology = Topology(
            name: "code", rounds: 1, dataset: DatasetSpec(kind: .mnist, path: "data/mnist"),
            model: ModelSpec(name: "lenet5"), clientsPerRound: 2,
            groups: [ClientGroup(name: "a", count: 2, memory: 1 << 20), ClientGroup(name: "b", count: 1)])
        #expect(topology.clients.map(\.id) == [0, 1, 2])
        #expect(topology.clients.map(\.memory) == [1 << 20, 1 << 20, nil])
    }
}
