import ArgumentParser
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
            let result = StepBenchmark(network: network, batch: batch).run(steps: steps)
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
        gflops_per_second = result.stepMillisecondsMedian > 0 ? Double(result.flopsPerStep) / result.stepMillisecondsMedian / 1e6 : 0
        peak_tensor_bytes = result.peakTensorBytes
        state_bytes = result.stateBytes
        blas_core = BLAS.coreName
    }
}
