import Foundation
import OrchardTestSupport
import Testing

/// `orchard train` end to end: the built executable on small generated data sets.
@Suite("orchard train", .tags(.endToEnd), .timeLimit(.minutes(10)))
struct TrainCommandTests {
    /// LeNet-5 for one epoch on 256 generated images: about three seconds in a debug build.
    static func lenet5Arguments(seed: Int) -> [String] {
        [
            "train", "--model", "lenet5", "--dataset", "synthetic-images", "--epochs", "1", "--batch", "32",
            "--limit", "256", "--seed", "\(seed)", "--json",
        ]
    }

    @Test("--json prints one report on stdout and progress on stderr")
    func lenet5Report() async throws {
        let outcome = try await OrchardProcess.run(Self.lenet5Arguments(seed: 3))
        let report = try outcome.report()

        let accuracy = try report.number("test_accuracy")
        #expect((0...1).contains(accuracy))
        #expect(try report.number("train_seconds") > 0)
        #expect(try report.number("samples_per_second") > 0)
        #expect(try report.integer("peak_tensor_bytes") > 0)
        // LeNet-5 on 1x28x28 inputs with ten classes, as in PyTorch.
        #expect(try report.integer("parameters") == 61_706)
        #expect(try report.string("model") == "lenet5")
        #expect(try report.integer("seed") == 3)
        #expect(try report.objects("epochs").count == 1)

        // Standard error is not a terminal here, so progress comes as plain lines.
        let progress = outcome.errorLines.filter { $0.hasPrefix("epoch 1/1 ") }
        #expect(progress.count >= 2, "expected progress lines on stderr: \(outcome)")
        #expect(
            outcome.errorLines.last?.hasPrefix("epoch 1/1: train loss") == true,
            "expected an epoch summary last on stderr: \(outcome)")
        #expect(!outcome.standardOutput.contains("epoch 1/1"), "progress leaked onto stdout: \(outcome)")
    }

    @Test("the same seed repeats a run exactly; another seed changes it")
    func seedDeterminesTheRun() async throws {
        async let first = OrchardProcess.run(Self.lenet5Arguments(seed: 3))
        async let second = OrchardProcess.run(Self.lenet5Arguments(seed: 3))
        async let other = OrchardProcess.run(Self.lenet5Arguments(seed: 4))
        let (firstReport, secondReport, otherReport) = try await (first.report(), second.report(), other.report())

        #expect(try firstReport.number("test_accuracy") == secondReport.number("test_accuracy"))
        #expect(try firstReport.number("train_loss") == secondReport.number("train_loss"))
        #expect(try firstReport.number("test_loss") == secondReport.number("test_loss"))
        #expect(try firstReport.number("train_loss") != otherReport.number("train_loss"))
    }

    @Test("a small MLP learns the generated images within two epochs")
    func mlpLearnsAboveChance() async throws {
        let outcome = try await OrchardProcess.run([
            "train", "--model", "mlp", "--dataset", "synthetic-images", "--epochs", "2", "--limit", "512",
            "--lr", "0.05", "--json",
        ])
        let report = try outcome.report()
        let epochs = try report.objects("epochs")
        try #require(epochs.count == 2, "expected two epoch reports: \(outcome)")
        #expect(try epochs.map { try $0.integer("epoch") } == [1, 2])
        #expect(try epochs[1].number("train_loss") < epochs[0].number("train_loss"))
        // Ten classes: chance is 0.1. Seed 0 measured 0.532 after two epochs (0.33 to 0.53 over seeds 0-5).
        let accuracy = try report.number("test_accuracy")
        #expect(accuracy > 0.3, "test accuracy \(accuracy) is too close to chance (0.1)")
        #expect(try report.number("test_accuracy") == epochs[1].number("test_accuracy"))
    }
}
