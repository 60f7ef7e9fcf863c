import Foundation
import OrchardData
import OrchardTensor
import OrchardTopology

/// The coordinator's data of a run: the test set it evaluates on and every client's training samples.
///
/// Every process builds what it needs from the topology alone (files, generators and partitions
/// are all seeded), so a host and the coordinator agree on every client's shard without sending
/// data; the hosts build their clients' shards themselves (`HostClients`).
public struct RunData: Sendable {
    public let test: Dataset
    /// The training samples of every client.
    public let sizes: ShardSizes
    /// The whole training split, when asked for: where the server's labelled set is drawn from,
    /// so that the test split serves evaluation alone.
    public var train: Dataset?

    /// The most Synthetic clients whose test splits make the evaluation set (and whose training
    /// splits the server's labelled set is drawn from): the first ones, which are the same
    /// whatever the number of clients.
    ///
    /// It bounds the coordinator's data (about 18 MB of test samples) and the time an evaluation
    /// takes however many clients a run has; runs of at most this many clients evaluate on every client.
    public static let evaluationClients = 1_000

    /// Loads or generates the data the coordinator of `plan` needs.
    public static func load(_ plan: RunPlan, keepTrain: Bool = false) throws -> RunData {
        let topology = plan.topology
        let count = topology.clientCount
        if case .synthetic(let settings) = topology.dataset.kind {
            // One client at a time, so that only the parts kept are ever held together.
            var tests: [Dataset] = []
            var trains: [Dataset] = []
            for client in 0..<min(count, evaluationClients) {
                let split = SyntheticFederated.client(
                    client, alpha: settings.alpha, beta: settings.beta, dimension: settings.dimension,
                    classes: settings.classes, seed: topology.seed, testFraction: settings.testFraction)
                tests.append(split.test)
                if keepTrain { trains.append(split.train) }
            }
            let sizes = ShardSizes(count: count) { client in
                SyntheticFederated.trainingSamples(of: client, seed: topology.seed, testFraction: settings.testFraction)
            }
            return RunData(
                test: concatenate(tests), sizes: sizes, train: keepTrain ? concatenate(trains) : nil)
        }
        let split = try limitedSource(plan)
        let parts = try partition(split.train, topology)
        return RunData(
            test: split.test, sizes: ShardSizes(count: parts.count) { parts[$0].count },
            train: keepTrain ? split.train : nil)
    }

    /// The training shards of the clients of a partitioned data set that `served` holds.
    static func partitionedShards(_ plan: RunPlan, keeping served: ClientRanges) throws -> [Int: Dataset] {
        let split = try limitedSource(plan)
        var shards: [Int: Dataset] = [:]
        for (client, indices) in try partition(split.train, plan.topology).enumerated() where served.contains(client) {
            shards[client] = split.train.subset(indices)
        }
        return shards
    }

    /// The data set of `plan`, its training split cut to the topology's `limit`.
    private static func limitedSource(_ plan: RunPlan) throws -> DatasetSplit {
        var split = try source(plan)
        if let limit = plan.topology.dataset.limit, limit < split.train.count {
            split.train = split.train.subset(Array(0..<limit))
        }
        return split
    }

    private static func source(_ plan: RunPlan) throws -> DatasetSplit {
        let topology = plan.topology
        let directory = plan.dataDirectory ?? topology.dataset.path ?? "data/\(topology.dataset.name)"
        switch topology.dataset.kind {
        case .mnist: return try MNIST.load(directory: directory, variant: .mnist, scaling: topology.dataset.pixels)
        case .fashionMNIST:
            return try MNIST.load(directory: directory, variant: .fashionMNIST, scaling: topology.dataset.pixels)
        case .cifar10: return try CIFAR.load(directory: directory, variant: .cifar10)
        case .cifar100: return try CIFAR.load(directory: directory, variant: .cifar100)
        case .syntheticImages(let settings):
            return SyntheticImages.generate(
                shape: settings.shape, classes: settings.classes, trainCount: settings.trainSamples,
                testCount: settings.testSamples, noise: Float(settings.noise), seed: topology.seed)
        case .synthetic:
            throw RuntimeError("the synthetic federated set is generated per client, not partitioned")
        }
    }
    private static func partition(_ train: Dataset, _ topology: Topology) throws -> [[Int]] {
        let clients = topology.clientCount
        let seed = topology.seed
        switch topology.partition {
        case .iid, .natural:
            return try Partition.iid(count: train.count, clients: clients, seed: seed)
        case .dirichlet(let alpha, let minimum):
            return try Partition.dirichlet(
                labels: train.labels, classes: train.classCount, clients: clients, alpha: alpha,
                minimumPerClient: minimum, seed: seed)
        case .shards(let classesPerClient):
            return try Partition.shards(
                labels: train.labels, clients: clients, classesPerClient: classesPerClient, seed: seed)
        case .quantitySkew(let alpha, let minimum):
            return try Partition.quantitySkew(
                count: train.count, clients: clients, alpha: alpha, minimumPerClient: minimum, seed: seed)
        }
    }

    /// One data set holding the samples of several, in order (the pooled test set of per-client data).
    static func concatenate(_ parts: [Dataset]) -> Dataset {
        let first = parts[0]
        let width = first.featuresPerSample
        let total = parts.reduce(0) { $0 + $1.count }
        var features = [Float](repeating: 0, count: total * width)
        var labels = [Int32](repeating: 0, count: total)
        var offset = 0
        for part in parts where part.count > 0 {
            features.withUnsafeMutableBufferPointer { features in
                labels.withUnsafeMutableBufferPointer { labels in
                    part.fillBatch(
                        indices: 0..<part.count, features: features.baseAddress! + offset * width,
                        labels: labels.baseAddress! + offset)
                }
            }
            offset += part.count
        }
        let name = first.name.replacingOccurrences(of: "-client", with: "")
        return Dataset(
            name: name, sampleShape: first.sampleShape, classCount: first.classCount, labels: labels, floats: features)
    }
}
