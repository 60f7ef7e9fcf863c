import OrchardData
import Yams

/// Reading `dataset:` and `partition:`, and checking that the partition can split the data.
extension TopologyParser {
    /// The keys each kind of data set accepts besides `kind`.
    static let datasetKeys: [String: [String]] = [
        "mnist": ["path", "limit", "pixels"], "fashion-mnist": ["path", "limit", "pixels"],
        "cifar10": ["path", "limit"], "cifar100": ["path", "limit"],
        "synthetic-images": ["train_samples", "test_samples", "classes", "noise"],
        "synthetic-images-rgb": ["train_samples", "test_samples", "classes", "noise"],
        "synthetic": ["alpha", "beta", "dimension", "classes", "test_fraction"],
    ]

    /// The keys each kind of partition accepts besides `kind`.
    static let partitionKeys: [String: [String]] = [
        "iid": [], "natural": [], "dirichlet": ["alpha", "minimum"], "quantity-skew": ["alpha", "minimum"],
        "shards": ["classes_per_client"],
    ]

    /// `dataset:`, a kind name or a mapping of `kind` and the kind's settings.
    func readDataset(_ node: Node, _ path: String) -> DatasetSpec? {
        guard
            let section = Section(
                node, path: path, log: log, expected: "a data set: a name such as mnist, or a mapping with kind",
                shorthandKey: "kind")
        else { return nil }
        guard
            let kind = section.read(
                "kind", required: true,
                { node, path in
                    log.choice(node, path, among: DatasetSpec.kindNames, what: "data set kind")
                })
        else {
            section.ignoreRest()
            return nil
        }
        let own = Self.datasetKeys[kind] ?? []
        defer { section.finish(known: ["kind"] + own, elsewhere: Self.misplaced(Self.datasetKeys, for: kind)) }
        switch kind {
        case "synthetic-images", "synthetic-images-rgb":
            let grey = kind == "synthetic-images"
            let settings = SyntheticImagesSettings(
                shape: grey ? [1, 28, 28] : [3, 32, 32],
                trainSamples: section.read("train_samples") { log.integer($0, $1, atLeast: 1) }
                    ?? (grey ? 12_000 : 10_000),
                testSamples: section.read("test_samples") { log.integer($0, $1, atLeast: 1) } ?? 2_000,
                classes: section.read("classes") { log.integer($0, $1, atLeast: 2) } ?? 10,
                noise: section.read("noise") { log.number($0, $1, .nonNegative) } ?? 0.5)
            return DatasetSpec(kind: .syntheticImages(settings))
        case "synthetic":
            let alpha = section.read("alpha", required: true) { log.number($0, $1, .nonNegative) }
            let beta = section.read("beta", required: true) { log.number($0, $1, .nonNegative) }
            let dimension = section.read("dimension") { log.integer($0, $1, atLeast: 1) } ?? 60
            let classes = section.read("classes") { log.integer($0, $1, atLeast: 2) } ?? 10
            let testFraction = section.read("test_fraction") { log.number($0, $1, .strictlyBetweenZeroAndOne) } ?? 0.2
            guard let alpha, let beta else { return nil }
            return DatasetSpec(
                kind: .synthetic(
                    SyntheticSettings(
                        alpha: alpha, beta: beta, dimension: dimension, classes: classes, testFraction: testFraction)))
        default:
            let folder = section.read("path", log.text) ?? DatasetSpec.defaultPath(forKind: kind)
            let limit = section.read("limit") { log.integer($0, $1, atLeast: 1) }
            let pixels = own.contains("pixels") ? readPixels(section) : nil
            let kinds: [String: DatasetSpec.Kind] = [
                "mnist": .mnist, "fashion-mnist": .fashionMNIST, "cifar10": .cifar10, "cifar100": .cifar100,
            ]
            guard let fileKind = kinds[kind] else { return nil }
            return DatasetSpec(kind: fileKind, path: folder, limit: limit, pixels: pixels ?? .unit)
        }
    }

    /// `pixels:` of MNIST and Fashion-MNIST, `unit` or `standardised`.
    private func readPixels(_ section: Section) -> MNIST.PixelScaling? {
        let name = section.read("pixels") { node, path in
            log.choice(node, path, among: MNIST.PixelScaling.allCases.map(\.rawValue), what: "pixel scaling")
        }
        return name.flatMap(MNIST.PixelScaling.init)
    }

    /// `partition:`, defaulting to `natural` for Synthetic(alpha, beta) and `iid` for the rest.
    func readPartition(_ top: Section, dataset: DatasetSpec?) -> PartitionSpec? {
        let perClient: Bool? = dataset.map { if case .synthetic = $0.kind { true } else { false } }
        guard let node = top.node("partition"), !DiagnosticLog.isNull(node) else {
            return perClient == true ? .natural : .iid
        }
        guard
            let section = Section(
                node, path: "partition", log: log, expected: "a partition: a name such as iid, or a mapping with kind",
                shorthandKey: "kind")
        else { return nil }
        guard
            let kind = section.read(
                "kind", required: true,
                { node, path in
                    log.choice(node, path, among: PartitionSpec.kindNames, what: "partition kind")
                })
        else {
            section.ignoreRest()
            return nil
        }
        let own = Self.partitionKeys[kind] ?? []
        defer { section.finish(known: ["kind"] + own, elsewhere: Self.misplaced(Self.partitionKeys, for: kind)) }
        if let perClient, perClient != (kind == "natural"), let dataset {
            let message =
                perClient
                ? "\(dataset.displayName) is generated per client, so its split is 'natural'; '\(kind)' cannot apply"
                : "only per-client data (dataset kind synthetic) has a natural split; \(dataset.displayName) "
                    + "needs iid, dirichlet, shards or quantity-skew"
            log.report(message, path: "partition.kind")
            return nil
        }
        switch kind {
        case "natural": return .natural
        case "dirichlet", "quantity-skew":
            let alpha = section.read("alpha") { log.number($0, $1, .positive) } ?? 0.5
            let minimum = section.read("minimum") { log.integer($0, $1, atLeast: 0) } ?? 10
            return kind == "dirichlet"
                ? .dirichlet(alpha: alpha, minimum: minimum) : .quantitySkew(alpha: alpha, minimum: minimum)
        case "shards":
            return .shards(
                classesPerClient: section.read("classes_per_client") { log.integer($0, $1, atLeast: 1) } ?? 2)
        default:
            return .iid
        }
    }

    /// Checks that `partition` can give each of `clients` clients what it promises from `dataset`.
    func checkPartition(_ partition: PartitionSpec, dataset: DatasetSpec, clients: Int) {
        guard let samples = dataset.trainingSamples else { return }
        let source = dataset.limit != nil ? "the first \(samples) (dataset.limit)" : "\(samples)"
        guard clients <= samples else {
            log.report(
                "\(clients) clients but only \(source) training samples: every client needs at least one",
                path: dataset.limit != nil ? "dataset.limit" : "groups")
            return
        }
        switch partition {
        case .dirichlet(_, let minimum), .quantitySkew(_, let minimum):
            let (needed, overflow) = clients.multipliedReportingOverflow(by: minimum)
            if overflow || needed > samples {
                log.report(
                    "\(clients) clients with at least \(minimum) samples each need "
                        + "\(overflow ? "more" : "\(needed)") samples, more than the \(source) training samples; "
                        + "lower minimum or use fewer clients", path: "partition.minimum")
            }
        case .shards(let classesPerClient):
            let (shards, overflow) = clients.multipliedReportingOverflow(by: classesPerClient)
            if overflow || shards > samples {
                log.report(
                    "\(clients) clients with \(classesPerClient) shards each make \(overflow ? "more" : "\(shards)") "
                        + "shards than the \(source) training samples", path: "partition.classes_per_client")
            } else if shards < dataset.classes {
                log.report(
                    "\(clients) clients with \(classesPerClient) shard\(classesPerClient == 1 ? "" : "s") each make "
                        + "\(shards) shards, too few to cover the \(dataset.classes) classes (a shard holds one "
                        + "class); raise classes_per_client",
                    path: "partition.classes_per_client")
            }
        case .natural, .iid:
            break
        }
    }

    /// For each key that belongs to other kinds than `kind`, a message saying where it belongs.
    static func misplaced(_ keysByKind: [String: [String]], for kind: String) -> [String: String] {
        var owners: [String: [String]] = [:]
        for (other, keys) in keysByKind where other != kind {
            for key in keys { owners[key, default: []].append(other) }
        }
        return owners.mapValues { kinds in
            let sorted = kinds.sorted()
            let list =
                sorted.count == 1 ? sorted[0] : sorted.dropLast().joined(separator: ", ") + " and " + sorted.last!
            return "applies to kind\(sorted.count == 1 ? "" : "s") \(list), not to \(kind)"
        }
    }
}
