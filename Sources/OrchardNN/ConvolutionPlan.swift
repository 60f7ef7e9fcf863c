import OrchardTensor

/// How a dense `Conv2d` computes one input geometry and batch: the path, chosen once, and the
/// workspaces of that path, which it owns.
///
/// The paths are tried in the order of `Path`: the direct kernels, Winograd F(2x2, 3x3), wide rows,
/// then im2col with GEMMs, which serves every geometry. Forward, backward and the footprint
/// prediction all read the same plan, so the workspaces a step allocates (`tensor(_:)`) and the
/// bytes `Network.predictedFootprint` counts for them (`tensorBytes`) come from one list,
/// `buffers`. A compact weight runs the sparse kernel instead, which owns its own workspaces.
final class ConvolutionPlan {
    /// The ways a dense convolution is computed, in the order they are tried.
    enum Path: CaseIterable, Sendable {
        /// `DirectConvolution` over the padded input (see `Conv2d+Direct.swift`).
        case direct
        /// Winograd F(2x2, 3x3) (see `Conv2d+Winograd.swift`).
        case winograd
        /// k * k GEMMs over wide rows of the padded input or its phase planes (see `Conv2d+Wide.swift`).
        case wide
        /// Unfolded columns and one GEMM per group of samples (see `Conv2d+Im2Col.swift`).
        case im2col
    }

    /// A workspace of a path.
    enum Buffer: Sendable {
        /// The zero-bordered input (its phase planes when strided), which backward reads again.
        case padded
        /// The input gradient in the padded layout, before it is copied into dX.
        case paddedGradient
        /// The weight regrouped by window offset, [k * k, out, in].
        case offsetWeights
        /// The weight gradient in the offset layout.
        case offsetWeightGradient
        /// One sample's wide output, or its wide dY.
        case wideOutput
        /// The transformed weights (and, in backward, the transformed weight gradient).
        case winogradWeights
        /// A block of transformed tiles.
        case winogradTiles
        /// A block of the tiles' products.
        case winogradProducts
        /// One group's unfolded columns.
        case columns
        /// One group's column gradient, folded into dX.
        case columnGradient
        /// dW accumulated as [patch, out] before it is transposed into [out, patch].
        case transposedWeightGradient
    }

    /// Settings of the choice and the sizes that tests change to reach a path or a grouping.
    struct Options: Equatable, Sendable {
        /// Paths not to take even where they apply: a test compares a path against the next one.
        var excludedPaths: Set<Path> = []
        /// Bytes of unfolded columns an im2col group may span; about a quarter of a core's L2 cache.
        ///
        /// LeNet-5 ran 5.7% faster with 256 KiB than with 512 KiB (its conv2 unfolds 4 samples per
        /// GEMM instead of 8), ResNet-20 within noise.
        var columnBudgetBytes = 256 * 1024
        /// Output positions an im2col group spans at least, whatever the budget: with the budget
        /// alone, an 8x8 stage would get one sample (64 positions) per GEMM, which ran 3% slower.
        var minimumGroupPositions = 256
    }

    let geometry: ConvolutionGeometry
    let batch: Int
    let outputChannels: Int
    /// Whether backward computes dX.
    let inputGradient: Bool
    let options: Options
    let path: Path
    /// Samples per GEMM on the im2col path (the whole batch elsewhere).
    let group: Int
    /// The workspaces of the path and their shapes, in a fixed order: what `tensor(_:)` allocates
    /// and `tensorBytes` counts.
    let buffers: [(buffer: Buffer, shape: [Int])]
    private var tensors: [Buffer: Tensor] = [:]

    /// Chooses the path for a layer with `outputChannels` outputs and `geometry`'s input at
    /// `batch` samples, taking over the tensors of `previous` (the plan of another batch size)
    /// that this path also uses: each is replaced when first asked for at another shape.
    init(
        geometry: ConvolutionGeometry, batch: Int, outputChannels: Int, inputGradient: Bool, options: Options,
        previous: ConvolutionPlan? = nil
    ) {
        self.geometry = geometry
        self.batch = batch
        self.outputChannels = outputChannels
        self.inputGradient = inputGradient
        self.options = options
        path =
            Path.allCases.first {
                !options.excludedPaths.contains($0)
                    && Self.applies($0, geometry, outputChannels: outputChannels, inputGradient: inputGradient)
            } ?? .im2col
        group = path == .im2col ? Self.groupSize(geometry, batch: batch, options: options) : batch
        buffers = Self.buffers(path, geometry, batch: batch, group: group, outputs: outputChannels, inputGradient)
        if let previous {
            for (buffer, _) in buffers { tensors[buffer] = previous.tensors[buffer] }
        }
    }

    /// Whether this plan serves a forward or backward pass with these settings.
    func matches(_ geometry: ConvolutionGeometry, batch: Int, inputGradient: Bool, options: Options) -> Bool {
        self.geometry == geometry && self.batch == batch && self.inputGradient == inputGradient
            && self.options == options
    }

    /// The workspace `buffer` of the path, allocated at its planned shape on first use and reused after.
    func tensor(_ buffer: Buffer) -> Tensor {
        guard let shape = buffers.first(where: { $0.buffer == buffer })?.shape else {
            preconditionFailure("the \(path) path of Conv2d has no \(buffer) buffer")
        }
        let tensor = Tensor.reusing(tensors[buffer], shape: shape, role: .workspace)
        tensors[buffer] = tensor
        return tensor
    }

    /// The workspace `buffer` as an earlier pass left it (the padded input backward reads), if any.
    func existing(_ buffer: Buffer) -> Tensor? { tensors[buffer] }

    /// Bytes of each workspace of the path, as `Network.predictedFootprint` counts them.
    var tensorBytes: [Int] { buffers.map { OrchardNN.tensorBytes($0.shape) } }

    /// The sizes of the wide computation (and of the direct path's padded input).
    var wide: Conv2d.WideGeometry { Conv2d.WideGeometry(base: geometry, batch: batch) }

    /// The Winograd blocking of the forward pass; `flipped` swaps inputs and outputs for dX.
    func winograd(flipped: Bool = false) -> Winograd.Plan {
        let (inputs, outputs) = flipped ? (outputChannels, geometry.channels) : (geometry.channels, outputChannels)
        return Winograd.Plan(
            inputs: inputs, outputs: outputs, batch: batch, height: geometry.height, width: geometry.width,
            budgetBytes: Conv2d.winogradBlockBytes)
    }

    /// Whether dW is accumulated transposed, as [patch, out]: OpenBLAS runs the product about twice
    /// as fast when its first dimension is the larger one (16x144 outputs over 1,024 positions ran
    /// at 35 GFLOP/s as [16, 144] and at 73 GFLOP/s as [144, 16]).
    var transposesWeightGradient: Bool { geometry.patchSize > outputChannels }
}

extension ConvolutionPlan {
    /// Whether `path` serves this geometry; the reasons are in each path's file.
    static func applies(
        _ path: Path, _ g: ConvolutionGeometry, outputChannels: Int, inputGradient: Bool
    ) -> Bool {
        switch path {
        case .direct:
            // A first layer with few input channels: LeNet-5's conv1.
            return !inputGradient && g.stride == 1 && g.channels <= 3
                && DirectConvolution.supports(outputChannels: outputChannels, kernel: g.kernelHeight)
        case .winograd:
            // 3x3 with padding 1 on even planes, at least 8 channels on each side.
            return g.kernelHeight == 3 && g.kernelWidth == 3 && g.stride == 1 && g.padding == 1
                && g.height % 2 == 0 && g.width % 2 == 0 && min(g.channels, outputChannels) >= 8
        case .wide:
            // At most 30% thrown-away positions; stride 2 only for 3x3 windows over 8 or more
            // channels with outputs at least 8 wide.
            let strideFits =
                g.stride == 1
                || (g.stride == 2 && g.kernelHeight == 3 && g.channels >= 8 && g.outputWidth >= 8)
            return strideFits && !g.isPointwise
                && 100 * Conv2d.WideGeometry(base: g, batch: 1).paddedWidth <= 130 * g.outputWidth
        case .im2col:
            return true
        }
    }

    /// Samples per GEMM so that a group's columns fit the budget; the whole batch when pointwise.
    static func groupSize(_ g: ConvolutionGeometry, batch: Int, options: Options) -> Int {
        if g.isPointwise { return batch }
        let perSample = g.patchSize * g.outputPlane * MemoryLayout<Float>.stride
        let least = (options.minimumGroupPositions + g.outputPlane - 1) / g.outputPlane
        return max(1, min(batch, max(least, options.columnBudgetBytes / max(perSample, 1))))
    }

    /// The workspaces of `path` and their shapes.
    static func buffers(
        _ path: Path, _ g: ConvolutionGeometry, batch: Int, group: Int, outputs: Int, _ inputGradient: Bool
    ) -> [(buffer: Buffer, shape: [Int])] {
        let wide = Conv2d.WideGeometry(base: g, batch: batch)
        switch path {
        case .direct:
            return [(.padded, [wide.paddedCount])]
        case .winograd:
            let plan = Winograd.Plan(
                inputs: g.channels, outputs: outputs, batch: batch, height: g.height, width: g.width,
                budgetBytes: Conv2d.winogradBlockBytes)
            return [
                (.winogradWeights, [16, plan.weightCount / 16]), (.winogradTiles, [plan.blockCount]),
                (.winogradProducts, [plan.blockCount]),
            ]
        case .wide:
            let padded: [Int] = [wide.paddedCount]
            return [
                (.padded, padded), (.offsetWeights, [g.patchSize, outputs]), (.wideOutput, [outputs, wide.widePlane]),
                (.offsetWeightGradient, [g.patchSize, outputs]),
            ] + (inputGradient ? [(.paddedGradient, padded)] : [])
        case .im2col:
            // A pointwise convolution multiplies the input itself: no columns.
            let columns = [g.patchSize, group * g.outputPlane]
            return (g.patchSize > outputs ? [(.transposedWeightGradient, [g.patchSize, outputs])] : [])
                + (g.isPointwise ? [] : [(.columns, columns)] + (inputGradient ? [(.columnGradient, columns)] : []))
        }
    }
}
