import Benchmark
import OrchardTensor

/// The dense step (im2col and GEMMs) and the sparse kernels' step of each representative layer
/// shape at the densities where `SparseDispatch` draws its lines: forward, dX and dW on one thread.
let benchmarks: @Sendable () -> Void = {
    BLAS.setThreads(1)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuUser], timeUnits: .microseconds, warmupIterations: 1,
        maxDuration: .seconds(2), maxIterations: 50)
    for shape in KernelShape.representative {
        Benchmark("dense \(shape.name)") { benchmark, step in
            for _ in benchmark.scaledIterations { step.run() }
        } setup: {
            DenseStep(shape)
        }
        for density in [0.01, 0.05, 0.1, 0.3] {
            Benchmark("sparse \(Int((density * 100).rounded()))% \(shape.name)") { benchmark, step in
                for _ in benchmark.scaledIterations { step.run() }
            } setup: {
                SparseStep(shape, density: density)
            }
        }
    }
}
