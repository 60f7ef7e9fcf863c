import OrchardData

/// The data set of a run: which one, where its files are, and how much of it to use.
///
/// Real data sets are read from their standard files in a folder (`path`, by default
/// `data/<name>` under the repository root); generated ones need no files and are described by
/// their settings instead.
public struct DatasetSpec: Sendable, Equatable {
    /// Which data set, with the settings of the generated ones.
    public enum Kind: Sendable, Equatable {
        /// MNIST handwritten digits, from the four IDX files.
        case mnist
        /// Fashion-MNIST, from the four IDX files.
        case fashionMNIST
        /// CIFAR-10, from the binary distribution.
        case cifar10
        /// CIFAR-100 (fine labels), from the binary distribution.
        case cifar100
        /// `SyntheticImages`: grey 28x28 (`synthetic-images`) or colour 32x32 (`synthetic-images-rgb`).
        case syntheticImages(SyntheticImagesSettings)
        /// `SyntheticFederated`: Synthetic(alpha, beta) of FedProx and LEAF, one data set per client.
        case synthetic(SyntheticSettings)
    }

    /// Which data set.
    public var kind: Kind
    /// The folder of a real data set's files, as written or defaulted; nil for generated data.
    ///
    /// The default is `data/<kind>`, such as `data/mnist`. Relative paths resolve against the root
    /// given to the loader.
    public var path: String?
    /// Use only the first `limit` training samples, when set.
    public var limit: Int?
    /// How MNIST and Fashion-MNIST pixels become features.
    ///
    /// `byte / 255` unless the topology asks for standardised pixels; other kinds ignore it.
    public var pixels: MNIST.PixelScaling

    /// Creates a data set description.
    public init(kind: Kind, path: String? = nil, limit: Int? = nil, pixels: MNIST.PixelScaling = .unit) {
        self.kind = kind
        self.path = path
        self.limit = limit
        self.pixels = pixels
    }

    /// Every name `kind:` accepts, in the order the reference lists them.
    public static let kindNames = [
        "mnist", "fashion-mnist", "cifar10", "cifar100", "synthetic-images", "synthetic-images-rgb", "synthetic",
    ]

    /// The name of the kind as written in a topology, such as `fashion-mnist`.
    public var name: String {
        switch kind {
        case .mnist: return "mnist"
        case .fashionMNIST: return "fashion-mnist"
        case .cifar10: return "cifar10"
        case .cifar100: return "cifar100"
        case .syntheticImages(let settings): return settings.shape[0] == 1 ? "synthetic-images" : "synthetic-images-rgb"
        case .synthetic: return "synthetic"
        }
    }

    /// A short human name: `MNIST`, `Synthetic(0.5, 0.5)`, `synthetic images 3x32x32`.
    public var displayName: String {
        switch kind {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .cifar10: return "CIFAR-10"
        case .cifar100: return "CIFAR-100"
        case .syntheticImages(let settings):
            return "synthetic images \(settings.shape.map(String.init).joined(separator: "x"))"
        case .synthetic(let settings):
            return "Synthetic(\(UnitFormat.trimmed(settings.alpha)), \(UnitFormat.trimmed(settings.beta)))"
        }
    }

    /// Whether Orchard generates the data itself, so that no file is needed.
    public var isGenerated: Bool {
        switch kind {
        case .syntheticImages, .synthetic: return true
        default: return false
        }
    }

    /// The shape of one sample: `[channels, height, width]` for images, `[features]` otherwise.
    public var sampleShape: [Int] {
        switch kind {
        case .mnist, .fashionMNIST: return [1, 28, 28]
        case .cifar10, .cifar100: return [3, 32, 32]
        case .syntheticImages(let settings): return settings.shape
        case .synthetic(let settings): return [settings.dimension]
        }
    }

    /// The number of classes.
    public var classes: Int {
        switch kind {
        case .mnist, .fashionMNIST, .cifar10: return 10
        case .cifar100: return 100
        case .syntheticImages(let settings): return settings.classes
        case .synthetic(let settings): return settings.classes
        }
    }

    /// The number of training samples the partition splits, after `limit`.
    ///
    /// Real data sets are taken at their standard sizes. Nil for Synthetic(alpha, beta), whose
    /// clients each draw their own count.
    public var trainingSamples: Int? {
        let full: Int
        switch kind {
        case .mnist, .fashionMNIST: full = 60_000
        case .cifar10, .cifar100: full = 50_000
        case .syntheticImages(let settings): full = settings.trainSamples
        case .synthetic: return nil
        }
        return limit.map { min($0, full) } ?? full
    }

    /// The folder a real data set is read from when the topology names none, relative to the root.
    public static func defaultPath(forKind name: String) -> String? {
        ["mnist", "fashion-mnist", "cifar10", "cifar100"].contains(name) ? "data/\(name)" : nil
    }
}

/// The settings of the generated image set (`SyntheticImages`).
public struct SyntheticImagesSettings: Sendable, Equatable {
    /// `[1, 28, 28]` for `synthetic-images`, `[3, 32, 32]` for `synthetic-images-rgb`.
    public var shape: [Int]
    /// Training images; 12,000 grey or 10,000 colour by default.
    public var trainSamples: Int
    /// Test images; 2,000 by default.
    public var testSamples: Int
    /// Classes; 10 by default.
    public var classes: Int
    /// The standard deviation of the per-pixel noise; 0.5 by default.
    public var noise: Double

    /// Creates the settings.
    public init(shape: [Int], trainSamples: Int, testSamples: Int, classes: Int = 10, noise: Double = 0.5) {
        self.shape = shape
        self.trainSamples = trainSamples
        self.testSamples = testSamples
        self.classes = classes
        self.noise = noise
    }
}

/// The settings of Synthetic(alpha, beta) (`SyntheticFederated`).
public struct SyntheticSettings: Sendable, Equatable {
    /// How much the clients' models differ (standard deviation of their means).
    public var alpha: Double
    /// How much the clients' inputs differ.
    public var beta: Double
    /// Features per sample; 60 by default.
    public var dimension: Int
    /// Classes; 10 by default.
    public var classes: Int
    /// The share of each client's samples held out for testing; 0.2 by default.
    public var testFraction: Double

    /// Creates the settings.
    public init(alpha: Double, beta: Double, dimension: Int = 60, classes: Int = 10, testFraction: Double = 0.2) {
        self.alpha = alpha
        self.beta = beta
        self.dimension = dimension
        self.classes = classes
        self.testFraction = testFraction
    }
}
