import OrchardFormat

/// A checked topology with what the loader worked out from it: the run, ready to start.
public struct RunPlan: Sendable {
    /// The topology, every default filled in.
    public let topology: Topology
    /// The file it was read from, as named to the loader.
    public let file: String
    /// The YAML text, kept so that a run can record exactly what it ran.
    public let source: String
    /// The absolute folder of a real data set's files; nil for generated data.
    public let dataDirectory: String?
    /// The model's size.
    public let model: ModelFootprint
    /// What the run will do that the topology may not mean, though it is no mistake, such as a
    /// group whose budget no full batch fits; one sentence each.
    public let notes: [String]

    /// Creates a plan.
    public init(
        topology: Topology, file: String, source: String, dataDirectory: String?, model: ModelFootprint,
        notes: [String] = []
    ) {
        self.topology = topology
        self.file = file
        self.source = source
        self.dataDirectory = dataDirectory
        self.model = model
        self.notes = notes
    }

    /// Every client, numbered 0..<N through the groups.
    public var clients: [ClientSpec] { topology.clients }

    /// One paragraph that says what the run will do, for `orchard validate` and the start of `orchard run`.
    public var summary: String {
        let topology = topology
        let groups = topology.groups.map { group in
            var parts = ["\(group.name) \(group.count)"]
            if let memory = group.memory { parts.append(ByteFormat.topology(memory)) }
            if let link = group.link {
                parts.append(
                    "\(UnitFormat.bitRate(link.up)) up/\(UnitFormat.bitRate(link.down)) down/"
                        + "\(UnitFormat.duration(link.latency))")
            }
            if let compute = group.compute { parts.append(UnitFormat.flopRate(compute)) }
            if group.availability < 1 { parts.append("\(UnitFormat.percent(group.availability)) available") }
            return parts.joined(separator: ", ")
        }
        let settings = topology.method.settings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        let method =
            settings.isEmpty ? topology.method.name : "\(topology.method.name) (\(settings.joined(separator: ", ")))"
        let training = topology.training
        let data = topology.dataset.dataDescription + ", " + topology.partition.displayName
        let rounds = topology.rounds == 1 ? "1 round" : "\(topology.rounds) rounds"
        var sentences = [
            "\(topology.name): \(rounds) of \(method) with \(topology.clientsPerRound) of "
                + "\(topology.clientCount) clients per round, in \(topology.groups.count) "
                + "group\(topology.groups.count == 1 ? "" : "s") (\(groups.joined(separator: "; ")))."
        ]
        let width = topology.model.width != 1 ? " x\(UnitFormat.trimmed(topology.model.width))" : ""
        sentences.append(
            "Model \(topology.model.name)\(width) with \(UnitFormat.count(model.trainableCount)) trainable parameters "
                + "(\(ByteFormat.topology(model.stateBytes)) of state) on \(data).")
        sentences.append(
            "Each client trains \(training.epochs) epoch\(training.epochs == 1 ? "" : "s") a round, batch "
                + "\(training.batch), lr \(UnitFormat.trimmed(training.learningRate)), momentum "
                + "\(UnitFormat.trimmed(training.momentum)); the model is evaluated every "
                + "\(topology.evaluateEvery == 1 ? "round" : "\(topology.evaluateEvery) rounds"); "
                + "seed \(topology.seed).")
        if !topology.aggregation.isDefault {
            sentences.append("The server aggregates by \(topology.aggregation.summary) instead of the weighted mean.")
        }
        let quorum = "needs \(UnitFormat.percent(topology.quorum)) of its sampled clients to be aggregated"
        sentences.append(
            topology.deadline.map { "A round ends after \(UnitFormat.duration($0)) of simulated time and \(quorum)." }
                ?? "A round \(quorum).")
        return sentences.joined(separator: " ")
    }
}

extension DatasetSpec {
    /// The data set and where it comes from, for summaries.
    var dataDescription: String {
        if isGenerated { return "\(displayName) (generated)" }
        return displayName + (path.map { " from \($0)" } ?? "") + (limit.map { ", first \($0) samples" } ?? "")
    }
}
