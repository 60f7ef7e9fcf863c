import OrchardFederation
import Yams

/// Turns the YAML tree of one topology file into a `RunPlan`, collecting every mistake on the way.
///
/// Each section is read on its own, so that a mistake in one does not hide those in the others;
/// the checks that span sections (clients per round against the number of clients, the model
/// against the data and the memory budgets, the data files) run on whatever was read well.
final class TopologyParser {
    let log: DiagnosticLog
    let root: String
    let checksDataFiles: Bool
    let methods: MethodRegistry

    /// The keys a topology accepts at the top.
    static let topKeys = [
        "name", "seed", "rounds", "dataset", "partition", "model", "method", "aggregation", "training", "groups",
        "clients_per_round", "eval_every", "deadline", "timeouts", "quorum", "checkpoint_every",
    ]

    /// The sections that may be written as one scalar, with the key that scalar stands for:
    /// `method: fedavg` means `method: {name: fedavg}`.
    static let shorthandKeys = ["dataset": "kind", "partition": "kind", "model": "name", "method": "name"]

    /// Keys that belong in a section, with where, for when they are written at the top.
    static let nestedKeys: [String: String] = {
        var places: [String: String] = [:]
        for key in ["epochs", "batch", "lr", "momentum", "weight_decay", "fresh_optimizer"] {
            places[key] = "belongs under training:"
        }
        for key in ["count", "memory", "link", "compute", "availability"] {
            places[key] = "belongs to a group, under groups:"
        }
        for key in ["task", "heartbeat", "liveness"] { places[key] = "belongs under timeouts:" }
        for key in ["kind", "path", "limit"] { places[key] = "belongs under dataset:" }
        for key in aggregationKeys { places[key] = "belongs under aggregation:" }
        return places
    }()

    init(file: String, root: String, checksDataFiles: Bool, methods: MethodRegistry) {
        log = DiagnosticLog(file: file)
        self.root = root
        self.checksDataFiles = checksDataFiles
        self.methods = methods
    }

    /// The plan for the document `document`, or nil when any mistake was found (see `log`).
    func plan(_ document: Node, source: String) -> RunPlan? {
        guard
            let top = Section(
                document, path: "", log: log,
                expected: "a mapping of keys such as name, rounds, dataset, model and groups")
        else { return nil }
        let name = top.read("name", required: true, log.text)
        let seed = top.read("seed", log.seed) ?? 0
        let rounds = top.read("rounds", required: true) { log.integer($0, $1, atLeast: 1) }
        let dataset = top.read("dataset", required: true, readDataset)
        let partition = readPartition(top, dataset: dataset)
        let model = top.read("model", required: true, readModel)
        let method = readMethod(top)
        let aggregation = top.read("aggregation", readAggregation)
        let training = top.read("training", readTraining) ?? LocalTraining()
        // Each group as read, nil where it has a mistake: the ids need every count, but the
        // budgets of the groups read well can still be checked.
        let groupsRead = top.read("groups", required: true, readGroups)
        let groups = groupsRead.flatMap { read in read.contains { $0 == nil } ? nil : read.compactMap { $0 } }
        let clientsPerRound = top.read("clients_per_round") { log.integer($0, $1, atLeast: 1) }
        let evaluateEvery = top.read("eval_every") { log.integer($0, $1, atLeast: 1) } ?? 1
        let deadline = top.read("deadline", nullMeansAbsent: true) { log.duration($0, $1, .positive) }
        let timeouts = top.read("timeouts", readTimeouts) ?? Timeouts()
        let quorum = top.read("quorum", log.fraction) ?? 0.5
        let checkpointEvery = top.read("checkpoint_every") { log.integer($0, $1, atLeast: 0) } ?? 10
        top.finish(known: Self.topKeys, elsewhere: Self.nestedKeys)

        let clientCount = groups?.reduce(0) { $0 + $1.count }
        if let clientCount, let clientsPerRound, clientsPerRound > clientCount {
            log.report(
                "\(clientsPerRound) clients per round, but the groups have only \(clientCount) clients in all",
                path: "clients_per_round")
        }
        if let rounds, evaluateEvery > rounds {
            log.report(
                "evaluating every \(evaluateEvery) rounds in a run of \(rounds) rounds would never evaluate the model",
                path: "eval_every")
        }
        if let dataset, let partition, let clientCount {
            checkPartition(partition, dataset: dataset, clients: clientCount)
        }
        let dataDirectory = dataset.flatMap(checkDataFiles)
        let footprint = dataset.flatMap { dataset in model.flatMap { measure($0, for: dataset, training: training) } }
        var notes: [String] = []
        if let footprint, let model, let method, let groupsRead {
            checkBudgets(groupsRead, footprint: footprint, model: model, method: method, training: training)
            notes = batchNotes(groupsRead, footprint: footprint, model: model, method: method, training: training)
        }

        guard log.count == 0, let name, let rounds, let dataset, let partition, let model, let method,
            let groups, let footprint
        else { return nil }
        let topology = Topology(
            name: name, seed: seed, rounds: rounds, dataset: dataset, partition: partition, model: model,
            method: method, aggregation: aggregation ?? AggregationSpec(), training: training,
            clientsPerRound: clientsPerRound ?? groups.reduce(0) { $0 + $1.count },
            evaluateEvery: evaluateEvery, deadline: deadline, timeouts: timeouts, quorum: quorum,
            checkpointEvery: checkpointEvery, groups: groups)
        return RunPlan(
            topology: topology, file: log.file, source: source, dataDirectory: dataDirectory, model: footprint,
            notes: notes)
    }

    /// Local training: `epochs`, `batch`, `lr`, `momentum`, `weight_decay`, `fresh_optimizer`.
    func readTraining(_ node: Node, _ path: String) -> LocalTraining? {
        guard let section = Section(node, path: path, log: log, expected: "a mapping of training settings")
        else { return nil }
        let defaults = LocalTraining()
        let training = LocalTraining(
            epochs: section.read("epochs") { log.integer($0, $1, atLeast: 1) } ?? defaults.epochs,
            batch: section.read("batch") { log.integer($0, $1, atLeast: 1) } ?? defaults.batch,
            learningRate: section.read("lr") { log.number($0, $1, .positive) } ?? defaults.learningRate,
            momentum: section.read("momentum") { log.number($0, $1, .belowOne) } ?? defaults.momentum,
            weightDecay: section.read("weight_decay") { log.number($0, $1, .nonNegative) } ?? defaults.weightDecay,
            freshOptimizer: section.read("fresh_optimizer", log.boolean) ?? defaults.freshOptimizer)
        section.finish(known: ["epochs", "batch", "lr", "momentum", "weight_decay", "fresh_optimizer"])
        return training
    }

    /// Wall-clock limits: `task`, `heartbeat` and `liveness`, the heartbeat shorter than the task timeout.
    func readTimeouts(_ node: Node, _ path: String) -> Timeouts? {
        guard
            let section = Section(
                node, path: path, log: log, expected: "a mapping with task, heartbeat and liveness")
        else { return nil }
        let defaults = Timeouts()
        let task = section.read("task") { log.duration($0, $1, .positive) }
        let heartbeat = section.read("heartbeat") { log.duration($0, $1, .positive) }
        let liveness = section.read("liveness") { log.integer($0, $1, atLeast: 2, atMost: 100) }
        section.finish(known: ["task", "heartbeat", "liveness"])
        let timeouts = Timeouts(
            task: task ?? defaults.task, heartbeat: heartbeat ?? defaults.heartbeat,
            liveness: liveness ?? defaults.liveness)
        guard timeouts.heartbeat < timeouts.task else {
            log.report(
                "the heartbeat (\(UnitFormat.duration(timeouts.heartbeat))) must be shorter than the task timeout "
                    + "(\(UnitFormat.duration(timeouts.task))), or a silent host could never be noticed in time",
                path: KeyPath.child(path, heartbeat != nil ? "heartbeat" : "task"))
            return nil
        }
        return timeouts
    }
}
