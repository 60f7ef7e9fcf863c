import ArgumentParser
import OrchardData

/// The data sets `orchard train` can name, and where each is read from or how it is generated.
enum DataSource {
    static let names = ["mnist", "fashion-mnist", "cifar10", "cifar100", "synthetic-images", "synthetic-images-rgb"]

    /// Throws unless `name` is one of `names`, so that a misspelt name fails before any work.
    static func check(_ name: String) throws {
        guard names.contains(name) else { throw unknown(name) }
    }

    /// Whether `name` reads pixels that `--pixels` can scale.
    static func scalesPixels(_ name: String) -> Bool { name == "mnist" || name == "fashion-mnist" }

    static func load(_ name: String, directory: String?, seed: UInt64, pixels: MNIST.PixelScaling = .unit) throws
        -> DatasetSplit
    {
        switch name {
        case "mnist": return try MNIST.load(directory: directory ?? "data/mnist", variant: .mnist, scaling: pixels)
        case "fashion-mnist":
            return try MNIST.load(directory: directory ?? "data/fashion-mnist", variant: .fashionMNIST, scaling: pixels)
        case "cifar10": return try CIFAR.load(directory: directory ?? "data/cifar10", variant: .cifar10)
        case "cifar100": return try CIFAR.load(directory: directory ?? "data/cifar100", variant: .cifar100)
        case "synthetic-images":
            return SyntheticImages.generate(shape: [1, 28, 28], trainCount: 12_000, testCount: 2_000, seed: seed)
        case "synthetic-images-rgb":
            return SyntheticImages.generate(shape: [3, 32, 32], trainCount: 10_000, testCount: 2_000, seed: seed)
        default:
            throw unknown(name)
        }
    }

    private static func unknown(_ name: String) -> ValidationError {
        ValidationError("--dataset '\(name)': known data sets are \(names.joined(separator: ", "))")
    }
}
