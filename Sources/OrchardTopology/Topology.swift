import OrchardFederation

/// A whole run as a topology file describes it, with every default filled in.
///
/// `TopologyLoader` builds it from YAML and checks it; the runtime reads it and runs nothing that
/// is not described here. `docs/topology.md` is the reference for the keys behind each property.
public struct Topology: Sendable, Equatable {
    /// The run's name.
    public var name: String
    /// The run seed, from which every random choice derives; 0 by default.
    public var seed: UInt64
    /// The number of rounds.
    public var rounds: Int
    /// The data set.
    public var dataset: DatasetSpec
    /// How the training data is split among clients.
    public var partition: PartitionSpec
    /// The model.
    public var model: ModelSpec
    /// The federated method and its settings.
    public var method: MethodSpec
    /// How the server combines the clients' models; the weighted mean without clipping by default.
    public var aggregation: AggregationSpec
    /// Local training on each client.
    public var training: LocalTraining
    /// Clients sampled each round; all of them by default.
    public var clientsPerRound: Int
    /// The global model is evaluated every this many rounds; 1 by default.
    public var evaluateEvery: Int
    /// The simulated seconds a round may last before its stragglers are dropped; nil for none.
    public var deadline: Double?
    /// Wall-clock limits of the real processes.
    public var timeouts: Timeouts
    /// The fraction of a round's sampled clients whose results must arrive for the round to be
    /// aggregated; 0.5 by default.
    public var quorum: Double
    /// A checkpoint is written every this many rounds; 10 by default, 0 for none.
    public var checkpointEvery: Int
    /// The client groups, in the order written.
    public var groups: [ClientGroup]

    /// Creates a topology.
    public init(
        name: String, seed: UInt64 = 0, rounds: Int, dataset: DatasetSpec, partition: PartitionSpec = .iid,
        model: ModelSpec, method: MethodSpec = MethodSpec(name: "fedavg"),
        aggregation: AggregationSpec = AggregationSpec(),
        training: LocalTraining = LocalTraining(),
        clientsPerRound: Int, evaluateEvery: Int = 1, deadline: Double? = nil, timeouts: Timeouts = Timeouts(),
        quorum: Double = 0.5, checkpointEvery: Int = 10, groups: [ClientGroup]
    ) {
        self.name = name
        self.seed = seed
        self.rounds = rounds
        self.dataset = dataset
        self.partition = partition
        self.model = model
        self.method = method
        self.aggregation = aggregation
        self.training = training
        self.clientsPerRound = clientsPerRound
        self.evaluateEvery = evaluateEvery
        self.deadline = deadline
        self.timeouts = timeouts
        self.quorum = quorum
        self.checkpointEvery = checkpointEvery
        self.groups = groups
    }

    /// The total number of clients over all groups.
    public var clientCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// Every client, with ids 0..<`clientCount` given through the groups in order, each with its
    /// group's budget, link, speed and availability.
    public var clients: [ClientSpec] {
        var clients: [ClientSpec] = []
        clients.reserveCapacity(clientCount)
        for (groupIndex, group) in groups.enumerated() {
            for indexInGroup in 0..<group.count {
                clients.append(
                    ClientSpec(
                        id: clients.count, group: group.name, groupIndex: groupIndex, indexInGroup: indexInGroup,
                        memory: group.memory, link: group.link, compute: group.compute,
                        availability: group.availability))
            }
        }
        return clients
    }
}
