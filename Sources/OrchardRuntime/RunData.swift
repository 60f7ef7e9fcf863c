import Foundation
import OrchardData
import OrchardTensor
import OrchardTopology

/// The data of a run: the test set the coordinator evaluates on, and the clients' training shards.
///
/// Every process builds it from the topology alone (files, generators and partitions are all
/// seeded), so a host and the coordinator agree on every client's shard without sending data.
public struct RunData: Sendable {
    public let test: Dataset
    /// The training shard of each requested client.
    public let shards: [Int: Dataset]
    /// The training samples of every client, requested or not.
    public let sizes: [Int: Int]
    /// The whole training split, when asked for: where the server's labelled set is drawn from,
    /// so that the test split serves evaluation alone.
    public var train: Dataset?

    /// Loads or generates the data of `plan`, keeping the shards of `clients` (all when nil).
    public static func load(_ plan: RunPlan, clients wanted: Set<Int>? = nil, keepTrain: Bool = false) throws
        -> RunData
    {
        let topology = plan.topology
        let count = topology.clientCount
        let keep = { (client: Int) in wanted?.contains(client) ?? true }
        if case .synthetic(let settings) = topology.dataset.kind {
            let splits = SyntheticFederated.generate(
                alpha: settings.alpha, beta: settings.beta, clients: count, dimension: settings.dimension,
                classes: settings.classes, seed: topology.seed, testFraction: settings.testFraction)
            var shards: [Int: Dataset] = [:]
            for (client, split) in splits.enumerated() where keep(client) { shards[client] = split.train }
            let sizes = Dictionary(
                uniqueKeysWithValues: splits.enumerated().map { ($0.offset, $0.element.train.count) })
            return RunData(
                test: concatenate(splits.map(\.test)), shards: shards, sizes: sizes,
                train: keepTrain ? concatenate(splits.map(\.train)) : nil)
        }
        var split = try source(plan)
        if let limit = topology.dataset.limit, limit < split.train.count {
            split.train = split.train.subset(Array(0..<limit))
        }
        let parts = try partition(split.train, topology)
        var shards: [Int: Dataset] = [:]
        for (client, indices) in parts.enumerated() where keep(client) { shards[client] = split.train.subset(indices) }
        let sizes = Dictionary(uniqueKeysWithValues: parts.enumerated().map { ($0.offset, $0.element.count) })
        return RunData(test: split.test, shards: shards, sizes: sizes, train: keepTrain ? split.train : nil)
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
            preconditionFailure("the synthetic federated set is split per client above")
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
