/// Loads MNIST or Fashion-MNIST from the four standard IDX files in a folder.
///
/// Both sets ship as `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each found with or without `.gz`.
/// `Scripts/fetch-mnist.sh` writes MNIST into `data/mnist`.
///
/// Pixels are `byte / 255` by default, as torchvision's `ToTensor` gives; `.standardised` adds
/// `Normalize(0.1307, 0.3081)`. The input scale acts as a step-size multiplier on the first layer:
/// standardised inputs are three times larger (root mean square 1 against 0.34), so the first
/// layer's step is about nine times larger. With momentum 0.9 at lr 0.05 that makes centralised
/// LeNet-5 training chaotic, while plain federated SGD gains from it; topologies choose with `dataset.pixels`
/// (`docs/topology.md`).
public enum MNIST {
    /// How pixel bytes become features.
    public enum PixelScaling: String, Sendable, CaseIterable {
        /// `byte / 255`, in 0...1, as torchvision's `ToTensor` alone: the default.
        case unit
        /// `(byte / 255 - mean) / std` with the variant's training-set statistics, as `ToTensor`
        /// followed by `Normalize`.
        case standardised
    }

    /// Which of the two sets of 28x28 grey images with ten classes.
    public enum Variant: String, Sendable, CaseIterable {
        /// Handwritten digits (LeCun et al.).
        case mnist
        /// Zalando's clothing pictures in MNIST's format (Xiao et al., 2017).
        case fashionMNIST

        /// The name given to the data sets, such as `mnist` in `mnist-train`.
        public var datasetName: String {
            switch self {
            case .mnist: return "mnist"
            case .fashionMNIST: return "fashion-mnist"
            }
        }

        /// The mean pixel of the training set on the 0...1 scale, which standardised scaling subtracts.
        public var mean: Float {
            switch self {
            case .mnist: return 0.1307
            case .fashionMNIST: return 0.2860
            }
        }

        /// The pixel standard deviation of the training set on the 0...1 scale, which standardised
        /// scaling divides by.
        public var std: Float {
            switch self {
            case .mnist: return 0.3081
            case .fashionMNIST: return 0.3530
            }
        }

        /// What to do when the files are missing.
        var fetchAdvice: String {
            switch self {
            case .mnist:
                return "run Scripts/fetch-mnist.sh to write them into data/mnist"
            case .fashionMNIST:
                return "download the four files of Fashion-MNIST (github.com/zalandoresearch/fashion-mnist) into it"
            }
        }
    }

    /// The base names of the training images, training labels, test images and test labels.
    public static let fileNames = [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ]

    /// Loads the 60,000 training and 10,000 test images of `variant` from `directory`.
    ///
    /// Pixels are scaled to 0...1, or standardised with the variant's mean and standard deviation.
    /// - Throws: `DataError` naming the folder and the files looked for when any is missing, or
    ///   the file at fault when one is malformed.
    public static func load(
        directory: String, variant: Variant = .mnist, scaling: PixelScaling = .unit
    ) throws(DataError) -> DatasetSplit {
        let found = try files(in: directory, variant: variant)
        let (mean, std) = scaling == .unit ? (0, 1) : (variant.mean, variant.std)
        let train = try IDX.read(
            images: found[0], labels: found[1], name: variant.datasetName + "-train", mean: mean, std: std)
        let test = try IDX.read(
            images: found[2], labels: found[3], name: variant.datasetName + "-test", mean: mean, std: std)
        return DatasetSplit(train: train, test: test)
    }

    /// Checks the four files in `directory` without reading their samples: each header against
    /// its file's size (a gzip file is inflated to measure it), and images against labels in number.
    /// - Throws: `DataError` naming the folder when a file is missing, or the file at fault.
    public static func checkFiles(directory: String, variant: Variant = .mnist) throws(DataError) {
        let found = try files(in: directory, variant: variant)
        for pair in [(found[0], found[1]), (found[2], found[3])] {
            let images = try IDX.checkHeader(pair.0, kind: .images)
            let labels = try IDX.checkHeader(pair.1, kind: .labels)
            try IDX.checkCounts(images: pair.0, images, labels: pair.1, labels)
        }
    }

    /// The paths of the four files in `directory`, plain or gzip-compressed, in `fileNames` order.
    static func files(in directory: String, variant: Variant) throws(DataError) -> [String] {
        let lookedFor = fileNames.map { "\($0)[.gz]" }.joined(separator: ", ")
        guard FileBytes.isDirectory(directory) else {
            throw DataError(
                path: directory,
                problem: "no such folder; it should hold \(lookedFor); \(variant.fetchAdvice)")
        }
        var found = [String]()
        var missing = [String]()
        for base in fileNames {
            let plain = FileBytes.join(directory, base)
            let compressed = plain + ".gz"
            if FileBytes.isFile(plain) {
                found.append(plain)
            } else if FileBytes.isFile(compressed) {
                found.append(compressed)
            } else {
                missing.append(base)
            }
        }
        guard missing.isEmpty else {
            throw DataError(
                path: directory,
                problem: "missing \(missing.map { "\($0)[.gz]" }.joined(separator: ", ")) "
                    + "(looked for \(lookedFor)); \(variant.fetchAdvice)")
        }
        return found
    }
}
