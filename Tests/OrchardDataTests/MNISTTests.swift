import Foundation
import OrchardData
import OrchardTestSupport
import Testing

/// The folder `Scripts/fetch-mnist.sh` writes to, found from this file's place in the repository.
let repositoryMNISTFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("data/mnist").path

@Suite("MNIST loader")
struct MNISTTests {
    /// Writes a tiny MNIST-shaped set (4x4 images) into `folder`, gzipping the files named in `gzipped`.
    func writeTinySet(in folder: TemporaryFolder, gzipped: Set<String> = []) throws {
        let parts: [(String, [UInt8])] = [
            (
                "train-images-idx3-ubyte",
                IDXBytes.images(count: 6, rows: 4, columns: 4, pixels: IDXBytes.pixels(count: 6, rows: 4, columns: 4))
            ),
            ("train-labels-idx1-ubyte", IDXBytes.labels([0, 1, 2, 3, 4, 5])),
            (
                "t10k-images-idx3-ubyte",
                IDXBytes.images(count: 2, rows: 4, columns: 4, pixels: IDXBytes.pixels(count: 2, rows: 4, columns: 4))
            ),
            ("t10k-labels-idx1-ubyte", IDXBytes.labels([9, 8])),
        ]
        for (name, bytes) in parts {
            if gzipped.contains(name) {
                try folder.writeGzipped(name + ".gz", bytes)
            } else {
                try folder.write(name, bytes)
            }
        }
    }

    @Test func loadsPlainAndGzippedFiles() throws {
        let folder = try TemporaryFolder()
        try writeTinySet(in: folder, gzipped: ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
        let split = try MNIST.load(directory: folder.path, variant: .mnist)
        #expect(split.train.count == 6)
        #expect(split.test.count == 2)
        #expect(split.train.sampleShape == [1, 4, 4])
        #expect(split.test.labels == [9, 8])
        #expect(split.train.name == "mnist-train")
        let pixels = IDXBytes.pixels(count: 6, rows: 4, columns: 4)
        #expect(abs(split.train.allFeatures()[1] - Float(pixels[1]) / 255) < 1e-6, "byte / 255 by default")
    }

    @Test(arguments: MNIST.Variant.allCases)
    func unitScalingDividesBy255(variant: MNIST.Variant) throws {
        let folder = try TemporaryFolder()
        try writeTinySet(in: folder)
        let split = try MNIST.load(directory: folder.path, variant: variant)
        let pixels = IDXBytes.pixels(count: 2, rows: 4, columns: 4)
        let features = split.test.allFeatures()
        for (pixel, feature) in zip(pixels, features) { #expect(abs(feature - Float(pixel) / 255) < 1e-6) }
    }

    @Test func fashionVariantUsesItsStatistics() throws {
        let folder = try TemporaryFolder()
        try writeTinySet(in: folder)
        let split = try MNIST.load(directory: folder.path + "/", variant: .fashionMNIST, scaling: .standardised)
        let pixel = IDXBytes.pixels(count: 2, rows: 4, columns: 4)[5]
        #expect(abs(split.test.allFeatures()[5] - (Float(pixel) / 255 - 0.2860) / 0.3530) < 1e-5)
        #expect(split.test.name == "fashion-mnist-test")
    }

    @Test func missingFolderPointsToTheScript() {
        expectDataError(mentioning: [
            "/nonexistent/orchard-mnist", "no such folder", "train-images-idx3-ubyte[.gz]", "Scripts/fetch-mnist.sh",
        ]) {
            _ = try MNIST.load(directory: "/nonexistent/orchard-mnist", variant: .mnist)
        }
    }

    @Test func missingFileIsNamed() throws {
        let folder = try TemporaryFolder()
        try writeTinySet(in: folder)
        try FileManager.default.removeItem(atPath: folder.file("t10k-labels-idx1-ubyte"))
        expectDataError(mentioning: [
            folder.path, "missing t10k-labels-idx1-ubyte[.gz]", "looked for", "Scripts/fetch-mnist.sh",
        ]) {
            _ = try MNIST.load(directory: folder.path, variant: .mnist)
        }
    }

    @Test func malformedFileIsNamed() throws {
        let folder = try TemporaryFolder()
        try writeTinySet(in: folder)
        let labels = try folder.write("train-labels-idx1-ubyte", IDXBytes.labels([0, 1, 2]))
        expectDataError(mentioning: [labels, "3 labels", "6 images"]) {
            _ = try MNIST.load(directory: folder.path, variant: .mnist)
        }
    }

    @Test(
        "The files of Scripts/fetch-mnist.sh load as 60,000 + 10,000 digits",
        .enabled(if: FileManager.default.fileExists(atPath: repositoryMNISTFolder), "data/mnist is absent"))
    func realMNIST() throws {
        let split = try MNIST.load(directory: repositoryMNISTFolder, variant: .mnist, scaling: .standardised)
        #expect(split.train.count == 60_000)
        #expect(split.test.count == 10_000)
        #expect(split.train.sampleShape == [1, 28, 28])
        // Every digit has between 5,421 (five) and 6,742 (one) training images, and between
        // 892 and 1,135 test images.
        #expect(split.train.classCounts().allSatisfy { (5_400...6_800).contains($0) })
        #expect(split.test.classCounts().allSatisfy { (880...1_140).contains($0) })
        #expect(split.train.classCounts().reduce(0, +) == 60_000)
        #expect(Array(split.train.labels.prefix(5)) == [5, 0, 4, 1, 9])
        // The pixels of 1,000 training images on the 0...1 scale have about the mean and deviation
        // that standardised scaling assumes; standardised, about 0 and 1.
        let standardised = statistics(split.train.subset(Array(0..<1_000)).allFeatures())
        #expect(abs(standardised.mean) < 0.05)
        #expect(abs(standardised.deviation - 1) < 0.05)
        let unit = try MNIST.load(directory: repositoryMNISTFolder, variant: .mnist)
        let scaled = statistics(unit.train.subset(Array(0..<1_000)).allFeatures())
        #expect(abs(scaled.mean - MNIST.Variant.mnist.mean) < 0.015)
        #expect(abs(scaled.deviation - MNIST.Variant.mnist.std) < 0.015)
    }

    func statistics(_ values: [Float]) -> (mean: Float, deviation: Float) {
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        return (mean, variance.squareRoot())
    }
}
