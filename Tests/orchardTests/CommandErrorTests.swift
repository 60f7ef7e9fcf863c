import OrchardTestSupport
import Testing

/// Mistakes on the command line and in data files: a clear message on stderr, a non-zero exit
/// status and nothing on stdout, even with `--json`.
@Suite("orchard errors", .timeLimit(.minutes(3)))
struct CommandErrorTests {
    /// The exit status ArgumentParser gives usage mistakes (`EX_USAGE`).
    static let usageStatus: Int32 = 64
    /// The exit status of any other error.
    static let failureStatus: Int32 = 1

    /// A command line that must be refused, and what the refusal must say.
    struct BadCommand: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let status: Int32
        /// Pieces of text that standard error must contain.
        let mentions: [String]

        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badCommands = [
        BadCommand(
            arguments: ["train", "--model", "alexnet", "--dataset", "synthetic-images", "--json"],
            status: usageStatus,
            mentions: ["'alexnet'", "known models", "lenet5", "resnet18", "mlp", "Usage: orchard train"]),
        BadCommand(
            arguments: ["bench", "step", "--model", "alexnet", "--json"],
            status: usageStatus,
            mentions: ["'alexnet'", "known models", "lenet5", "resnet18", "mlp", "Usage: orchard bench step"]),
        BadCommand(
            arguments: ["train", "--dataset", "imagenet", "--json"],
            status: usageStatus,
            mentions: ["'imagenet'", "known data sets", "mnist", "synthetic-images", "Usage: orchard train"]),
        BadCommand(
            arguments: ["train", "--dataset", "synthetic-images", "--batch", "0", "--json"],
            status: usageStatus,
            mentions: ["--batch must be positive, got 0", "Usage: orchard train"]),
        BadCommand(
            arguments: ["bench", "step", "--batch", "0", "--json"],
            status: usageStatus,
            mentions: ["--batch must be positive, got 0", "Usage: orchard bench step"]),
        BadCommand(
            arguments: ["bench", "step", "--input", "3x0x4", "--json"],
            status: usageStatus,
            mentions: ["--input '3x0x4'", "positive sizes", "Usage: orchard bench step"]),
        BadCommand(
            arguments: ["bench", "step", "--distribution", "erdosRenyiKernel", "--json"],
            status: usageStatus,
            mentions: ["'erdosRenyiKernel'", "'uniform'", "'er'", "'erk'", "Usage: orchard bench step"]),
    ]

    @Test("a bad option is refused with a message that names it", arguments: badCommands)
    func badOption(_ command: BadCommand) async throws {
        let outcome = try await OrchardProcess.run(command.arguments)
        expectRefusal(outcome, status: command.status, mentioning: command.mentions)
    }

    @Test("an unknown ORCHARD_LOG_LEVEL is refused with the levels it may be")
    func unknownLogLevel() async throws {
        let outcome = try await OrchardProcess.run(
            ["validate", "any.yaml"], environment: ["ORCHARD_LOG_LEVEL": "loud"])
        expectRefusal(
            outcome, status: Self.usageStatus, mentioning: ["ORCHARD_LOG_LEVEL", "'loud'", "debug", "warning"])
    }

    @Test("an empty MNIST folder is named, with the files it lacks and the script that fetches them")
    func missingMNIST() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let outcome = try await OrchardProcess.run([
            "train", "--dataset", "mnist", "--data-dir", folder.path, "--limit", "64", "--json",
        ])
        expectRefusal(
            outcome, status: Self.failureStatus,
            mentioning: [folder.path, "missing", "train-images-idx3-ubyte", "Scripts/fetch-mnist.sh"])
    }

    @Test("a truncated IDX file is named and called truncated")
    func truncatedIDX() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // The header promises 60,000 images of 28x28, but only 100 pixels follow.
        let images = try folder.write(
            "train-images-idx3-ubyte", IDXBytes.images(count: 60_000, rows: 28, columns: 28, pixelBytes: 100))
        try folder.write("train-labels-idx1-ubyte", IDXBytes.labels(count: 60_000))
        try folder.write(
            "t10k-images-idx3-ubyte", IDXBytes.images(count: 2, rows: 28, columns: 28, pixelBytes: 2 * 28 * 28))
        try folder.write("t10k-labels-idx1-ubyte", IDXBytes.labels(count: 2))
        let outcome = try await OrchardProcess.run([
            "train", "--dataset", "mnist", "--data-dir", folder.path, "--limit", "64", "--json",
        ])
        expectRefusal(
            outcome, status: Self.failureStatus,
            mentioning: [images + ": truncated", "60000 images of 28x28", "116 bytes"])
    }
}

/// The bytes of IDX files (big-endian header, then one byte per pixel or label), all zeros.
enum IDXBytes {
    static func word(_ value: Int) -> [UInt8] {
        [24, 16, 8, 0].map { UInt8((value >> $0) & 0xff) }
    }

    /// An image file whose header says `count` images of `rows` x `columns`, followed by `pixelBytes` bytes.
    static func images(count: Int, rows: Int, columns: Int, pixelBytes: Int) -> [UInt8] {
        word(0x0803) + word(count) + word(rows) + word(columns) + [UInt8](repeating: 0, count: pixelBytes)
    }

    /// A label file of `count` labels, all class 0.
    static func labels(count: Int) -> [UInt8] {
        word(0x0801) + word(count) + [UInt8](repeating: 0, count: count)
    }
}
