import ArgumentParser
import Foundation
import OrchardFormat
import OrchardNN
import OrchardPruning
import OrchardTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine's speed.", subcommands: [Step.self, Aggregate.self])

    struct Step: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time forward+backward+update steps of a model on a random batch.")

        @OptionGroup var options: BenchModel
        @Option(parsing: .unconditional, help: "Samples per step.") var batch = 64
        @Option(parsing: .unconditional, help: "Timed steps (after 3 untimed warm-up steps).") var steps = 50
        @Option(parsing: .unconditional, help: "OpenBLAS threads.") var threads = 1
        @Option(parsing: .unconditional, help: "Fraction of the prunable weights kept, as a random mask; 1 is dense.")
        var density = 1.0
        @Option(help: "How the kept weights are spread over layers, in a topology's words.")
        var distribution = DensityDistribution.erdosRenyiKernel
        @Option(help: "How pruned weights are held: automatic, compact (sparse kernels), masked (dense kernels).")
        var storage = SparseStorage.automatic
        @Flag(help: "Print one JSON object instead of text.") var json = false
        @Flag(help: "Also print each layer's share of the step time (to stderr).") var profile = false

        func validate() throws {
            try OptionCheck.positive("--batch", batch)
            try OptionCheck.positive("--steps", steps)
            try OptionCheck.threads(threads)
            guard density > 0 && density <= 1 else {
                throw ValidationError("--density must be more than 0 and at most 1, got \(density)")
            }
        }

        func run() throws {
            BLAS.setThreads(threads)
            let shape = try options.shape
            MemoryLedger.resetPeak()
            let network = try options.makeNetwork(shape)
            if density < 1 {
                try BenchModel.prune(
                    network, density: density, distribution: distribution, batch: batch, storage: storage)
            }
            let layerProfile = profile ? LayerProfile() : nil
            var benchmark = StepBenchmark(network: network, batch: batch)
            benchmark.profile = layerProfile
            let result = benchmark.run(steps: steps)
            if let layerProfile { printProfile(layerProfile, steps: steps) }
            let report = StepReport(result, threads: threads, input: shape, network: network)
            if json {
                print(try JSONOutput.encode(report))
            } else {
                print(
                    "\(options.model) batch \(batch), \(threads) thread(s): \(Int(result.samplesPerSecond)) samples/s, "
                        + "median step \(Format.decimal(result.stepMillisecondsMedian, 2)) ms, "
                        + "\(Format.decimal(report.gflops_per_second, 1)) GFLOP/s, "
                        + "peak tensors \(ByteFormat.binary(result.peakTensorBytes)), "
                        + "state \(ByteFormat.binary(result.stateBytes)) at density \(Format.decimal(report.density, 4))"
                )
            }
        }
    }
}

/// The model a benchmark runs: its name, input, width and classes.
struct BenchModel: ParsableArguments {
    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "lenet5"
    @Option(help: "Sample shape: 1x28x28, 3x32x32, or a feature count such as 60.") var input: String?
    @Option(parsing: .unconditional, help: "Channel width multiplier of VGG and the ResNets.") var width = 1.0
    @Option(parsing: .unconditional, help: "Classes of the output layer.") var classes = 10

    func validate() throws {
        try OptionCheck.positive("--width", width)
        guard classes > 1 else { throw ValidationError("--classes must be at least 2, got \(classes)") }
        try OptionCheck.model(model)
        if let input { _ = try SampleShape.parse(input) }
    }

    /// The sample shape: `--input`, or the usual one for the model.
    var shape: [Int] { get throws { try SampleShape.parse(input ?? SampleShape.defaultShape(for: model)) } }

    /// Prunes `network` to a random mask keeping `density` of its prunable weights.
    static func prune(
        _ network: Network, density: Double, distribution: DensityDistribution, batch: Int, storage: SparseStorage
    ) throws {
        let plan = PruningPlan(density: density, budget: .overPrunableParameters, allocation: .layerwise(distribution))
        let mask = try Criterion.random(RandomStream(seed: 0, purpose: "bench-mask")).mask(for: network, plan: plan)
        try mask.prune(network, batch: batch, storage: storage)
    }

    /// A fresh network of the model for samples of `shape`.
    func makeNetwork(_ shape: [Int]) throws -> Network {
        try ModelZoo.make(model, sampleShape: shape, classes: classes, width: width)
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
    /// Kept fraction of the prunable weights (1 when dense).
    let density: Double
    /// Prunable weights held compactly, with sparse kernels.
    let compact_layers: Int
    let prunable_layers: Int
    let blas_core: String

    init(_ result: StepBenchmark.Result, threads: Int, input: [Int], network: Network) {
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
        let weights = network.prunableLayers().map(\.layer.weight)
        let kept = weights.reduce(0) { $0 + ($1.pattern?.count ?? $1.denseCount) }
        density = Double(kept) / Double(max(1, weights.reduce(0) { $0 + $1.denseCount }))
        compact_layers = weights.filter(\.isCompact).count
        prunable_layers = weights.count
        blas_core = BLAS.coreName
    }
}

extension DensityDistribution: ExpressibleByArgument {}
extension SparseStorage: ExpressibleByArgument {}
