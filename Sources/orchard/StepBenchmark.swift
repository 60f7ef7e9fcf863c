import OrchardNN
import OrchardTensor

/// Times training steps (forward, backward, update) of a network on a fixed random batch: what
/// `orchard bench step` reports, and what Scripts/benchmarks.sh and Scripts/paired-benchmarks.sh read.
struct StepBenchmark {
    /// What one benchmark measured.
    struct Result: Sendable {
        let model: String
        let batch: Int
        let steps: Int
        /// Median wall time of one step, in milliseconds.
        let stepMillisecondsMedian: Double
        let stepMillisecondsMinimum: Double
        /// Samples per second at the median step time.
        let samplesPerSecond: Double
        /// FLOPs of one step, as the layers and the optimizer count them.
        let flopsPerStep: Int
        /// Largest bytes of live tensors during the benchmark, model included.
        let peakTensorBytes: Int
        /// Bytes of parameters, gradients and optimizer state.
        let stateBytes: Int
    }

    let network: Network
    let batch: Int
    var warmupSteps = 3
    /// Where to record per-layer times of the timed steps, if anywhere.
    var profile: LayerProfile?

    init(network: Network, batch: Int) {
        self.network = network
        self.batch = batch
    }

    /// Runs `warmupSteps` untimed steps, then `steps` timed ones.
    func run(steps: Int, seed: UInt64 = 0) -> Result {
        var random = RandomStream(seed: seed, purpose: "bench")
        let input = Tensor(zeros: [batch] + network.sampleShape, role: .data)
        for index in 0..<input.count { input[index] = Float(random.nextNormal()) }
        let labels = (0..<batch).map { _ in Int32(random.nextInt(below: network.classes)) }
        let trainer = Trainer(network: network, learningRate: 0.01, momentum: 0.9)
        var times: [Double] = []
        let clock = ContinuousClock()
        let flopsBefore = trainer.flops
        labels.withUnsafeBufferPointer { labels in
            for _ in 0..<warmupSteps { trainer.step(input, labels: labels.baseAddress!) }
            network.profile = profile
            for _ in 0..<steps {
                let elapsed = clock.measure { trainer.step(input, labels: labels.baseAddress!) }
                times.append(elapsed.inSeconds * 1e3)
            }
        }
        network.profile = nil
        times.sort()
        let median = times.isEmpty ? 0 : times[times.count / 2]
        let totalSteps = max(1, warmupSteps + steps)
        let state =
            MemoryLedger.liveBytes(.parameter) + MemoryLedger.liveBytes(.gradient)
            + MemoryLedger.liveBytes(.optimizerState)
        return Result(
            model: network.name, batch: batch, steps: steps, stepMillisecondsMedian: median,
            stepMillisecondsMinimum: times.first ?? 0,
            samplesPerSecond: median > 0 ? Double(batch) / (median / 1e3) : 0,
            flopsPerStep: (trainer.flops - flopsBefore).total / totalSteps, peakTensorBytes: MemoryLedger.peakBytes,
            stateBytes: state)
    }
}
