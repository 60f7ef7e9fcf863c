import OrchardTensor

/// A labelled data set held in memory: samples of one shape and their class labels.
///
/// Image sets keep their pixels as the bytes of the source files and normalise them while a batch
/// is copied out, so that CIFAR's 50,000 training images take 150 MB rather than the 600 MB they
/// would as floats. Generated sets keep floats. Either way `fillBatch` hands the model the same
/// thing: normalised `Float` features, row-major, one sample after another.
public struct Dataset: Sendable {
    /// A short name for reports, such as `mnist-train`.
    public let name: String
    /// The shape of one sample, outermost first: `[1, 28, 28]`, `[3, 32, 32]` or `[60]`.
    public let sampleShape: [Int]
    /// How many classes labels are drawn from; every label lies in `0..<classCount`.
    public let classCount: Int
    /// The class of each sample.
    public let labels: [Int32]

    let storage: Storage

    /// How the features are held.
    enum Storage: Sendable {
        /// Raw bytes, normalised per channel when copied out.
        case bytes([UInt8], ChannelNormalisation)
        /// Features ready to use.
        case floats([Float])
    }

    /// The number of samples.
    public var count: Int { labels.count }

    /// The number of features in one sample (the product of `sampleShape`).
    public var featuresPerSample: Int { sampleShape.reduce(1, *) }

    /// The bytes the features take in memory, labels excluded.
    public var storageBytes: Int {
        switch storage {
        case .bytes(let bytes, _): return bytes.count
        case .floats(let floats): return floats.count * MemoryLayout<Float>.stride
        }
    }

    /// Creates a data set of byte samples (images) normalised per channel.
    ///
    /// A byte `b` of channel `c` becomes `(b / 255 - mean[c]) / std[c]`. The channel is the
    /// outermost dimension of `sampleShape`, so `mean` and `std` hold one value per channel, or a
    /// single value for a one-channel or flat sample.
    /// - Precondition: `bytes.count == labels.count * featuresPerSample`, every label lies in
    ///   `0..<classCount`, and `std` holds positive values, as many as `mean`.
    public init(
        name: String, sampleShape: [Int], classCount: Int, labels: [Int32], bytes: [UInt8],
        mean: [Float], std: [Float]
    ) {
        let features = sampleShape.reduce(1, *)
        precondition(
            bytes.count == labels.count * features,
            "\(name): \(bytes.count) bytes for \(labels.count) samples of shape \(sampleShape)")
        let normalisation = ChannelNormalisation(
            mean: mean, std: std, featuresPerSample: features, datasetName: name)
        self.init(
            name: name, sampleShape: sampleShape, classCount: classCount, labels: labels,
            storage: .bytes(bytes, normalisation))
    }

    /// Creates a data set of float samples, used as they are.
    /// - Precondition: `floats.count == labels.count * featuresPerSample` and every label lies in
    ///   `0..<classCount`.
    public init(
        name: String, sampleShape: [Int], classCount: Int, labels: [Int32], floats: [Float]
    ) {
        precondition(
            floats.count == labels.count * sampleShape.reduce(1, *),
            "\(name): \(floats.count) floats for \(labels.count) samples of shape \(sampleShape)")
        self.init(
            name: name, sampleShape: sampleShape, classCount: classCount, labels: labels,
            storage: .floats(floats))
    }

    init(name: String, sampleShape: [Int], classCount: Int, labels: [Int32], storage: Storage) {
        precondition(
            sampleShape.allSatisfy { $0 > 0 }, "\(name): sample shape \(sampleShape) has an empty dimension")
        precondition(classCount > 0, "\(name): classCount must be positive, not \(classCount)")
        if let stray = labels.first(where: { $0 < 0 || Int($0) >= classCount }) {
            preconditionFailure("\(name): label \(stray) is outside 0..<\(classCount)")
        }
        self.name = name
        self.sampleShape = sampleShape
        self.classCount = classCount
        self.labels = labels
        self.storage = storage
    }

    /// Copies the samples at `indices` (in that order) into `features` (row-major,
    /// `indices.count * featuresPerSample` floats, normalised) and their labels into `labels`.
    ///
    /// This runs at every training step, so it allocates nothing: it walks the stored arrays
    /// through buffer pointers and normalises bytes with a multiply and a subtract per feature.
    /// - Precondition: every index lies in `0..<count`; `features` and `labels` have room for
    ///   `indices.count` samples.
    public func fillBatch<C: Collection<Int>>(
        indices: C, features: UnsafeMutablePointer<Float>, labels: UnsafeMutablePointer<Int32>
    ) {
        let width = featuresPerSample
        let sampleCount = count
        self.labels.withUnsafeBufferPointer { sourceLabels in
            switch storage {
            case .floats(let floats):
                floats.withUnsafeBufferPointer { source in
                    guard let base = source.baseAddress else { return }
                    var row = 0
                    for index in indices {
                        precondition(index >= 0 && index < sampleCount, "sample \(index) of \(sampleCount)")
                        (features + row * width).update(from: base + index * width, count: width)
                        labels[row] = sourceLabels[index]
                        row += 1
                    }
                }
            case .bytes(let bytes, let normalisation):
                bytes.withUnsafeBufferPointer { source in
                    guard let base = source.baseAddress else { return }
                    var row = 0
                    for index in indices {
                        precondition(index >= 0 && index < sampleCount, "sample \(index) of \(sampleCount)")
                        normalisation.apply(from: base + index * width, to: features + row * width)
                        labels[row] = sourceLabels[index]
                        row += 1
                    }
                }
            }
        }
    }

    /// A data set of the samples at `indices` (copies them), in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let width = featuresPerSample
        for index in indices {
            precondition(index >= 0 && index < count, "\(name): sample \(index) of \(count)")
        }
        let pickedLabels = indices.map { labels[$0] }
        switch storage {
        case .bytes(let bytes, let normalisation):
            var picked = [UInt8]()
            picked.reserveCapacity(indices.count * width)
            for index in indices { picked.append(contentsOf: bytes[(index * width)..<((index + 1) * width)]) }
            return Dataset(
                name: name, sampleShape: sampleShape, classCount: classCount, labels: pickedLabels,
                storage: .bytes(picked, normalisation))
        case .floats(let floats):
            var picked = [Float]()
            picked.reserveCapacity(indices.count * width)
            for index in indices { picked.append(contentsOf: floats[(index * width)..<((index + 1) * width)]) }
            return Dataset(
                name: name, sampleShape: sampleShape, classCount: classCount, labels: pickedLabels,
                storage: .floats(picked))
        }
    }

    /// How many samples each class has, indexed by class.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}

/// A training set and its test set.
public struct DatasetSplit: Sendable {
    /// The samples to train on.
    public var train: Dataset
    /// The held-out samples to evaluate on.
    public var test: Dataset

    /// Pairs a training set with its test set.
    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}

extension Dataset {
    /// Up to `count` samples of each class, drawn at random.
    ///
    /// A small labelled set such as a server's (FedTiny's `n_shots` from the test split). Classes with fewer samples
    /// give all.
    public func samplesPerClass(_ count: Int, random: RandomStream) -> Dataset {
        var random = random
        var order = Array(0..<self.count)
        random.shuffle(&order)
        var taken = [Int](repeating: 0, count: classCount)
        var chosen: [Int] = []
        for index in order where taken[Int(labels[index])] < count {
            taken[Int(labels[index])] += 1
            chosen.append(index)
        }
        return subset(chosen.sorted())
    }
}

extension Dataset {
    /// The per-channel means and standard deviations byte samples are normalised with
    /// (`(byte / 255 - mean) / std`); nil for a data set of ready features.
    public var channelStatistics: (mean: [Float], std: [Float])? {
        guard case .bytes(_, let normalisation) = storage else { return nil }
        return (normalisation.mean, normalisation.std)
    }

    /// The samples' bytes, one sample after another, as the source files hold them; nil for a data
    /// set of ready features.
    public var sampleBytes: [UInt8]? {
        guard case .bytes(let bytes, _) = storage else { return nil }
        return bytes
    }
}
