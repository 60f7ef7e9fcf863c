#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Times the sparse kernels against the dense path's core on representative layers.
///
/// This is the benchmark behind the constants of `SparseDispatch`; it times, it does not decide.
/// A step is forward plus backward with the input gradient. The dense step is what the layers run:
/// for Linear three GEMMs, for Conv2d per group of samples (columns within 512 KB, as the layer
/// groups them) im2col and a GEMM forward, and im2col, two GEMMs and the fold backward. The
/// figures are medians of `repetitions` runs after one warm-up, and only their ratio within one run
/// means anything on a shared machine. Call `BLAS.setThreads(1)` first to compare one core each.
public enum SparseCrossover {
    /// A layer shape to time.
    public enum Shape: Sendable {
        case linear(name: String, inputs: Int, outputs: Int, batch: Int)
        case convolution(name: String, geometry: ConvolutionGeometry, outputChannels: Int, batch: Int)

        public var name: String {
            switch self {
            case .linear(let name, _, _, _), .convolution(let name, _, _, _): name
            }
        }

        /// Rows and columns of the weight matrix.
        var weightShape: (rows: Int, columns: Int) {
            switch self {
            case .linear(_, let inputs, let outputs, _): (outputs, inputs)
            case .convolution(_, let geometry, let outputChannels, _): (outputChannels, geometry.patchSize)
            }
        }
    }

    /// One shape at one density.
    public struct Row: Sendable {
        public let shape: String
        public let density: Double
        /// Median milliseconds of a dense forward and backward step.
        public let denseMilliseconds: Double
        /// Median milliseconds of a sparse forward and backward step.
        public let sparseMilliseconds: Double
        /// Dense time over sparse time: above 1, the sparse step is faster.
        public var speedup: Double { denseMilliseconds / sparseMilliseconds }
    }

    /// The shapes of the sparse-kernel measurement: LeNet-5 and ResNet layers at batch 64.
    public static let representative: [Shape] = {
        func conv(_ name: String, _ input: Int, _ output: Int, _ size: Int, kernel: Int, stride: Int, padding: Int)
            -> Shape
        {
            .convolution(
                name: name,
                geometry: ConvolutionGeometry(
                    channels: input, height: size, width: size, kernelHeight: kernel, kernelWidth: kernel,
                    stride: stride, padding: padding),
                outputChannels: output, batch: 64)
        }
        return [
            conv("LeNet conv 1->6 5x5 p2 28x28", 1, 6, 28, kernel: 5, stride: 1, padding: 2),
            conv("LeNet conv 6->16 5x5 14x14", 6, 16, 14, kernel: 5, stride: 1, padding: 0),
            .linear(name: "LeNet fc 400->120", inputs: 400, outputs: 120, batch: 64),
            .linear(name: "LeNet fc 120->84", inputs: 120, outputs: 84, batch: 64),
            conv("ResNet 3x3 16->16 32x32", 16, 16, 32, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 32->32 16x16", 32, 32, 16, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 64->64 8x8", 64, 64, 8, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 64->64 32x32", 64, 64, 32, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 128->128 16x16", 128, 128, 16, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 256->256 8x8", 256, 256, 8, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 512->512 4x4", 512, 512, 4, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 s2 16->32 32x32", 16, 32, 32, kernel: 3, stride: 2, padding: 1),
            conv("ResNet 3x3 s2 64->128 32x32", 64, 128, 32, kernel: 3, stride: 2, padding: 1),
            conv("ResNet 1x1 s2 64->128 32x32", 64, 128, 32, kernel: 1, stride: 2, padding: 0),
            conv("ResNet 3x3 s2 256->512 8x8", 256, 512, 8, kernel: 3, stride: 2, padding: 1),
        ]
    }()

    /// Times a dense step once per shape and a sparse step per shape and density.
    public static func measure(
        _ shapes: [Shape] = representative, densities: [Double] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5],
        repetitions: Int = 5
    ) -> [Row] {
        var rows: [Row] = []
        for shape in shapes {
            let dense = median(repetitions) { DenseStep(shape) }
            for density in densities {
                let sparse = median(repetitions) { SparseStep(shape, density: density) }
                rows.append(
                    Row(shape: shape.name, density: density, denseMilliseconds: dense, sparseMilliseconds: sparse))
            }
        }
        return rows
    }

    /// The rows as a Markdown table, one line per shape and a column per density of sparse ms and speedup.
    public static func table(_ rows: [Row]) -> String {
        var densities: [Double] = []
        for row in rows where !densities.contains(row.density) { densities.append(row.density) }
        var lines = [
            "| shape | dense ms | " + densities.map { "\(percent($0)) ms (x)" }.joined(separator: " | ") + " |",
            "|---|---:|" + densities.map { _ in "---:" }.joined(separator: "|") + "|",
        ]
        var shapes: [String] = []
        for row in rows where !shapes.contains(row.shape) { shapes.append(row.shape) }
        for shape in shapes {
            let cells = rows.filter { $0.shape == shape }
            let sparse = densities.map { density in
                cells.first { $0.density == density }.map { "\(format($0.sparseMilliseconds)) (\(format($0.speedup)))" }
                    ?? "-"
            }
            lines.append(
                "| \(shape) | \(format(cells[0].denseMilliseconds)) | " + sparse.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private static func percent(_ density: Double) -> String { "\(Int((density * 100).rounded()))%" }

    private static func format(_ value: Double) -> String {
        let digits = value < 1 ? 1000.0 : value < 10 ? 100.0 : 10.0
        return "\((value * digits).rounded() / digits)"
    }

    /// The median milliseconds of `repetitions` runs of a prepared step, after one warm-up run.
    ///
    /// Times are the calling thread's CPU time, not wall time: on a shared machine the wall clock
    /// also counts the time other processes hold the core. OpenBLAS on one thread runs its GEMMs on
    /// the calling thread, so both steps are measured alike.
    private static func median(_ repetitions: Int, _ make: () -> some TimedStep) -> Double {
        let step = make()
        step.run()
        let times = (0..<max(1, repetitions)).map { _ -> Double in
            let start = threadMilliseconds()
            step.run()
            return threadMilliseconds() - start
        }.sorted()
        return times[times.count / 2]
    }

    private static func threadMilliseconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) * 1e3 + Double(now.tv_nsec) * 1e-6
    }
}

/// A step prepared with its operands, run repeatedly by `SparseCrossover`.
protocol TimedStep {
    func run()
}
