import ArgumentParser
import Foundation
import OrchardNN
import OrchardTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine's speed.", subcommands: [Step.self])

    struct Step: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time forward+backward+update steps of a model on a random batch.")

        @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "lenet5"
        @Option(help: "Samples per step.") var batch = 64
        @Option(help: "Timed steps (after 3 untimed warm-up steps).") var steps = 50
        @Option(help: "OpenBLAS threads.") var threads = 1
        @Option(help: "Sample shape: 1x28x28, 3x32x32, or a feature count such as 60.") var input: String?
        @Option(help: "Channel width multiplier of VGG and the ResNets.") var width = 1.0
        @Option(help: "Classes of the output layer.") var classes = 10
        @Flag(help: "Print one JSON object instead of text.") var json = false
        @Flag(help: "Also print each layer's share of the step time (to stderr).") var profile = false

        func validate() throws {
            try OptionCheck.positive("--batch", batch)
            try OptionCheck.positive("--steps", steps)
            try OptionCheck.positive("--threads", threads)
            try OptionCheck.positive("--width", width)
            guard classes > 1 else { throw ValidationError("--classes must be at least 2, got \(classes)") }
            try OptionCheck.model(model)
            if let input { _ = try SampleShape.parse(input) }
        }

        func run() throws {
            BLAS.setThreads(threads)
            let shape = try SampleShape.parse(input ?? SampleShape.defaultShape(for: model))
            MemoryLedger.resetPeak()
            let network = try ModelZoo.make(model, sampleShape: shape, classes: classes, width: width)
            let layerProfile = profile ? LayerProfile() : nil
            var benchmark = StepBenchmark(network: network, batch: batch)
            benchmark.profile = layerProfile
            let result = benchmark.run(steps: steps)
            if let layerProfile { printProfile(layerProfile, steps: steps) }
            let report = StepReport(result, threads: threads, input: shape)
            if json {
                print(try JSONOutput.encode(report))
            } else {
                print(
                    "\(model) batch \(batch), \(threads) thread(s): \(Int(result.samplesPerSecond)) samples/s, "
                        + "median step \(Format.decimal(result.stepMillisecondsMedian, 2)) ms, "
                        + "\(Format.decimal(report.gflops_per_second, 1)) GFLOP/s, "
                        + "peak tensors \(Format.bytes(result.peakTensorBytes))")
            }
        }
    }
}

/// Prints per-layer milliseconds per step and their GFLOP/s, largest first.
func printProfile(_ profile: LayerProfile, steps: Int) {
    let total = profile.entries.reduce(0) { $0 + $1.forwardSeconds + $1.backwardSeconds }
    var lines = ["layer                          forward ms  backward ms   share   GFLOP/s"]
    for entry in profile.entries.sorted(by: {
        $0.forwardSeconds + $0.backwardSeconds > $1.forwardSeconds + $1.backwardSeconds
    }) {
        let seconds = entry.forwardSeconds + entry.backwardSeconds
        let rate = seconds > 0 ? Double(entry.flops.total) / seconds / 1e9 : 0
        lines.append(
            entry.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + Format.decimal(1e3 * entry.forwardSeconds / Double(steps), 3).leftPadded(11)
                + Format.decimal(1e3 * entry.backwardSeconds / Double(steps), 3).leftPadded(13)
                + (Format.decimal(100 * seconds / max(total, 1e-12), 1) + "%").leftPadded(8)
                + Format.decimal(rate, 1).leftPadded(10))
    }
    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// The JSON object `orchard bench step --json` prints.
struct StepReport: Encodable {
    let model: String
    let batch: Int
    let steps: Int
    let threads: Int
    let input: [Int]
    let samples_per_second: Double
    let step_ms_median: Double
    let step_ms_min: Double
    let flops_per_step: Int
    let gflops_per_second: Double
    let peak_tensor_bytes: Int
    let state_bytes: Int
    let blas_core: String

    init(_ result: StepBenchmark.Result, threads: Int, input: [Int]) {
        model = result.model
        batch = result.batch
        steps = result.steps
        self.threads = threads
        self.input = input
        samples_per_second = result.samplesPerSecond
        step_ms_median = result.stepMillisecondsMedian
        step_ms_min = result.stepMillisecondsMinimum
        flops_per_step = result.flopsPerStep
        gflops_per_second =
            result.stepMillisecondsMedian > 0 ? Double(result.flopsPerStep) / result.stepMillisecondsMedian / 1e6 : 0
        peak_tensor_bytes = result.peakTensorBytes
        state_bytes = result.stateBytes
        blas_core = BLAS.coreName
    }
}
