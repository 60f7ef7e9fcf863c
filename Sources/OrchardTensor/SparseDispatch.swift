/// Whether a pruned layer should run its sparse kernel rather than its dense one.
///
/// A fixed rule of density and shape, never a timing taken at run time: a run must choose the same
/// kernels on every machine and every repetition to be bitwise reproducible. The thresholds come
/// from the kernel benchmarks (`Benchmarks/Benchmarks/KernelBenchmarks`) on a 2-vCPU AMD EPYC VM
/// with OpenBLAS on one thread (see `docs/kernels.md`), comparing a forward and backward step against the dense path's core
/// (GEMM for Linear, im2col and GEMM for Conv2d; the Conv2d layer itself measured 0.73-1.1 times
/// that). Each threshold sits below the break-even, where the sparse step was still at least 1.25x
/// faster than both for convolutions and about 1.1x for Linear (interpolated between the measured
/// 10% and 20%): the break-even moved by up to a density step between runs on the shared machine.
public enum SparseDispatch {
    /// Linear layers run sparse at or below this density (break-even measured at 20-35%: at 20%
    /// the 120x84 layer ran 0.98-1.08x as fast as dense, at 10% 1.2-1.3x).
    public static let linearThreshold = 0.15
    /// Convolutions run sparse at or below this density (break-even measured at 40-50% or above)...
    public static let convolutionThreshold = 0.3
    /// ...unless their weight has at least `largeConvolutionWeights` entries, where GEMM runs
    /// closest to its peak (break-even measured at 35-45% for 512x4608 and 512x2304 weights).
    public static let largeConvolutionThreshold = 0.2
    /// The weight size from which `largeConvolutionThreshold` applies.
    public static let largeConvolutionWeights = 1 << 20
    /// Convolutions with fewer than `smallConvolutionWeights` entries run sparse up to this density.
    ///
    /// At 50% the sparse step was still 2.0x (LeNet conv1, 150 entries), 1.4x (LeNet conv2, 2,400)
    /// and 2.0x (ResNet 16->16, 2,304) as fast as dense. Erdős–Rényi-kernel allocation gives such
    /// small layers the highest densities (LeNet conv1: 40% at 5% overall).
    public static let smallConvolutionThreshold = 0.5
    /// The weight size below which `smallConvolutionThreshold` applies.
    public static let smallConvolutionWeights = 1 << 12

    /// Whether a Linear layer of `inputs` x `outputs` at `density` should run sparse.
    public static func prefersSparse(density: Double, inputs: Int, outputs: Int) -> Bool {
        density <= linearThreshold
    }

    /// Whether a Conv2d layer with `outputChannels` over `geometry` at `density` should run sparse.
    public static func prefersSparse(density: Double, geometry: ConvolutionGeometry, outputChannels: Int) -> Bool {
        let weights = outputChannels * geometry.patchSize
        if weights < smallConvolutionWeights { return density <= smallConvolutionThreshold }
        return density <= (weights >= largeConvolutionWeights ? largeConvolutionThreshold : convolutionThreshold)
    }
}
