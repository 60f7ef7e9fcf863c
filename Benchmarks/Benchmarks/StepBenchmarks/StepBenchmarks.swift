import Benchmark
import OrchardNN
import OrchardPruning
import OrchardTensor

/// Training steps (forward, backward, SGD update with momentum) of the models docs/benchmarks.md
/// reports, on a random batch of 64 and one OpenBLAS thread; the sparse ones with a random mask
/// (seed 0) at the density and distribution given, held as `orchard bench step` holds them.
let benchmarks: @Sendable () -> Void = {
    BLAS.setThreads(1)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuUser, .peakMemoryResident], timeUnits: .milliseconds, warmupIterations: 3,
        maxDuration: .seconds(10), maxIterations: 300)
    let cases: [StepCase] = [
        StepCase(model: "mlp", shape: [784]),
        StepCase(model: "lenet5", shape: [1, 28, 28]),
        StepCase(model: "lenet5", shape: [1, 28, 28], density: 0.05, distribution: .uniform),
        StepCase(model: "lenet5", shape: [1, 28, 28], density: 0.05, distribution: .erdosRenyiKernel),
        StepCase(model: "resnet20", shape: [3, 32, 32]),
        StepCase(model: "resnet18", shape: [3, 32, 32], density: 0.01, distribution: .uniform),
        StepCase(model: "resnet18", shape: [3, 32, 32], density: 0.01, distribution: .erdosRenyiKernel),
    ]
    for step in cases {
        Benchmark(step.name) { benchmark, trainer in
            for _ in benchmark.scaledIterations { blackHole(trainer.run()) }
        } setup: {
            try StepTrainer(step)
        }
    }
}

/// A model, its input and the density of its random mask (1: dense).
struct StepCase: Sendable {
    var model: String
    var shape: [Int]
    var density = 1.0
    var distribution = DensityDistribution.erdosRenyiKernel

    var name: String {
        density < 1 ? "\(model) \(Int((density * 100).rounded()))% \(distribution.rawValue)" : "\(model) dense"
    }
}

/// A network, its trainer and a fixed random batch.
final class StepTrainer {
    let trainer: Trainer
    let input: Tensor
    let labels: [Int32]

    init(_ step: StepCase) throws {
        let network = try ModelZoo.make(step.model, sampleShape: step.shape, classes: 10, width: 1)
        let batch = 64
        if step.density < 1 {
            let plan = PruningPlan(
                density: step.density, budget: .overPrunableParameters, allocation: .layerwise(step.distribution))
            let mask = try Criterion.random(RandomStream(seed: 0, purpose: "bench-mask")).mask(for: network, plan: plan)
            try mask.prune(network, batch: batch, storage: .automatic)
        }
        var random = RandomStream(seed: 0, purpose: "bench")
        input = Tensor(zeros: [batch] + network.sampleShape, role: .data)
        for index in 0..<input.count { input[index] = Float(random.nextNormal()) }
        labels = (0..<batch).map { _ in Int32(random.nextInt(below: network.classes)) }
        trainer = Trainer(network: network, learningRate: 0.01, momentum: 0.9)
    }

    /// One training step; its loss.
    func run() -> Float {
        labels.withUnsafeBufferPointer { labels in
            guard let first = labels.baseAddress else { return 0 }
            return trainer.step(input, labels: first).loss
        }
    }
}
