import ArgumentParser
import Foundation
import OrchardData
import OrchardExport
import OrchardFormat
import OrchardNN
import OrchardTensor

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model centrally on one data set (a reference point for federated runs).")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "lenet5"
    @Option(help: "Data set: \(DataSource.names.joined(separator: ", ")).") var dataset = "mnist"
    @Option(help: "Folder of the data set's files (mnist: data/mnist).") var dataDir: String?
    @Option(parsing: .unconditional, help: "Passes over the training set.") var epochs = 1
    @Option(parsing: .unconditional, help: "Samples per step.") var batch = 64
    @Option(parsing: .unconditional, help: "Learning rate.") var lr: Float = 0.05
    @Option(parsing: .unconditional, help: "SGD momentum.") var momentum: Float = 0
    @Option(parsing: .unconditional, help: "Weight decay (L2).") var weightDecay: Float = 0
    @Option(parsing: .unconditional, help: "Channel width multiplier of VGG and the ResNets.") var width = 1.0
    @Option(parsing: .unconditional, help: "Run seed: weights, batch order and generated data derive from it.")
    var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "OpenBLAS threads.") var threads = 1
    @Option(parsing: .unconditional, help: "Use only the first N training samples.") var limit: Int?
    @Option(help: "MNIST and Fashion-MNIST pixels: unit (byte / 255) or standardised (mean 0, deviation 1).")
    var pixels: MNIST.PixelScaling = .unit
    @Option(
        name: .customLong("init"),
        help: ArgumentHelp(
            "Start from the weights of this safetensors file (as orchard export writes) instead of the seed's.",
            valueName: "file"))
    var initialWeights: String?
    @Flag(help: "Print one JSON object on stdout; progress goes to stderr.") var json = false

    func validate() throws {
        try OptionCheck.positive("--epochs", epochs)
        try OptionCheck.positive("--batch", batch)
        try OptionCheck.threads(threads)
        try OptionCheck.positive("--lr", lr)
        try OptionCheck.positive("--width", width)
        try OptionCheck.notNegative("--momentum", momentum)
        try OptionCheck.notNegative("--weight-decay", weightDecay)
        if let limit { try OptionCheck.positive("--limit", limit) }
        try OptionCheck.model(model)
        try DataSource.check(dataset)
        if pixels != .unit && !DataSource.scalesPixels(dataset) {
            throw ValidationError("--pixels applies to mnist and fashion-mnist, not to --dataset \(dataset)")
        }
    }

    func run() throws {
        BLAS.setThreads(threads)
        var split = try DataSource.load(dataset, directory: dataDir, seed: seed, pixels: pixels)
        if let limit, limit < split.train.count { split.train = split.train.subset(Array(0..<limit)) }
        MemoryLedger.resetPeak()
        let network = try ModelZoo.make(
            model, sampleShape: split.train.sampleShape, classes: split.train.classCount, width: width, seed: seed)
        if let path = initialWeights {
            try StateDictionary.archive(from: SafeTensorsFile(contentsOf: path), for: network, source: path)
                .load(into: network)
        }
        let trainer = Trainer(network: network, learningRate: lr, momentum: momentum, weightDecay: weightDecay)
        var order = BatchOrder(
            count: split.train.count, batchSize: batch, shuffle: RandomStream(seed: seed, purpose: "batches"))
        let progress = ProgressBar(enabled: true)
        var epochReports: [EpochReport] = []
        var trainSeconds = 0.0
        var last = EpochSummary()
        for epoch in 1...epochs {
            let start = ContinuousClock.now
            last = trainer.trainEpoch(on: split.train, order: &order) { number, total, sofar in
                progress.update(
                    "epoch \(epoch)/\(epochs)", done: number, total: total,
                    detail: "loss \(Format.decimal(sofar.loss, 4)) acc \(Format.decimal(100 * sofar.accuracy, 2))%")
            }
            trainSeconds += (ContinuousClock.now - start).inSeconds
            let test = trainer.evaluate(on: split.test)
            progress.finish(
                "epoch \(epoch)/\(epochs): train loss \(Format.decimal(last.loss, 4)), test accuracy \(Format.decimal(100 * test.accuracy, 2))%"
            )
            epochReports.append(
                EpochReport(
                    epoch: epoch, train_loss: last.loss, train_accuracy: last.accuracy, test_loss: test.loss,
                    test_accuracy: test.accuracy))
        }
        let samples = Double(split.train.count * epochs)
        let report = TrainReport(
            model: model, dataset: split.train.name, parameters: network.trainableCount, epochs: epochReports,
            test_accuracy: epochReports.last!.test_accuracy, test_loss: epochReports.last!.test_loss,
            train_loss: last.loss, train_seconds: trainSeconds, samples_per_second: samples / trainSeconds,
            peak_tensor_bytes: MemoryLedger.peakBytes, flops: trainer.flops.total, threads: threads, seed: seed)
        if json {
            print(try JSONOutput.encode(report))
        } else {
            print(
                "\(model) on \(split.train.name): test accuracy \(Format.decimal(100 * report.test_accuracy, 2))%, "
                    + "\(Int(report.samples_per_second)) samples/s, peak tensors \(ByteFormat.binary(report.peak_tensor_bytes))"
            )
        }
    }
}

struct EpochReport: Encodable {
    let epoch: Int
    let train_loss: Double
    let train_accuracy: Double
    let test_loss: Double
    let test_accuracy: Double
}

/// The JSON object `orchard train --json` prints.
struct TrainReport: Encodable {
    let model: String
    let dataset: String
    let parameters: Int
    let epochs: [EpochReport]
    let test_accuracy: Double
    let test_loss: Double
    let train_loss: Double
    let train_seconds: Double
    let samples_per_second: Double
    let peak_tensor_bytes: Int
    let flops: Int
    let threads: Int
    let seed: UInt64
}

extension MNIST.PixelScaling: ExpressibleByArgument {}
