import OrchardTensor

/// A 2-D convolution over channel-major activations: input [C, N, H, W], output [C', N, H', W'].
///
/// The forward pass unfolds groups of samples into a column matrix (`Im2Col`) and multiplies it by
/// the weight [C', C * kh * kw] with one GEMM per group; groups are sized so that the columns stay
/// in cache. Because activations are channel-major, each GEMM writes its rows straight into the
/// output, and a 1x1 stride-1 convolution needs no unfolding at all. The backward pass unfolds
/// again rather than keeping the columns of the whole batch, trading a cheap copy for memory.
public final class Conv2d: PrunableLayer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?
    public var needsInputGradient = true
    public internal(set) var flops = FLOPCount.zero

    /// Bytes of unfolded columns a group may span; about a quarter of a core's L2 cache.
    ///
    /// LeNet-5 ran 5.7% faster with 256 KiB than with 512 KiB (median 18,652 against 17,647 samples/s; its conv2
    /// unfolds 4 samples per GEMM instead of 8), ResNet-20 within noise (206 against 210).
    public var columnBudgetBytes = 256 * 1024
    /// Output positions an im2col group spans at least, whatever the budget.
    ///
    /// With 256 KiB alone, ResNet-20's 8x8 stage got one sample (64 positions) per GEMM and the
    /// model ran at 210 against 216 samples/s with this floor (LeNet-5's groups are unchanged by
    /// it). That stage now runs over wide rows; the floor still serves strided convolutions.
    public var minimumGroupPositions = 256
    /// Whether stride-1 windows run over wide rows (see `Conv2d+Wide.swift`); tests turn it off to
    /// check the plain im2col path against it.
    public var usesWideRows = true
    /// Whether a first layer with few input channels runs the direct kernels (see
    /// `Conv2d+Direct.swift`); tests turn it off to check them against the GEMM paths.
    public var usesDirectKernel = true

    var input: Tensor?
    /// The input shape of the last training forward pass, also when the layer before wrote the
    /// input straight into the sparse kernel's planes and there is no input tensor.
    var inputShape: [Int]?
    var output: Tensor?
    private var inputGradient: Tensor?
    private var columns: Tensor?
    private var columnGradient: Tensor?
    private var weightGradientScratch: Tensor?
    var paddedInput: Tensor?
    var paddedGradient: Tensor?
    var wideOutput: Tensor?
    /// The weight per window offset, [k * k, out, in], and the weight gradient in that layout (wide path).
    var offsetWeights: Tensor?
    var offsetWeightGradient: Tensor?
    /// The Winograd path's transformed weights and its scratch for a block of transformed tiles
    /// and their products (see `Conv2d+Winograd.swift`).
    var winogradWeights: Tensor?
    var winogradTiles: Tensor?
    var winogradProducts: Tensor?
    /// Whether stride-1 3x3 windows run Winograd F(2x2, 3x3); tests turn it off to check it
    /// against the wide rows.
    public var usesWinograd = true
    /// The output gradient of the last backward pass, which a search over pruned positions reads.
    var outputGradient: Tensor?
    /// The kernels of a compact sparse weight, made for the input geometry in use.
    var sparseKernel: SparseConvolutionKernel?
    /// The per-call buffers its sparse kernel shares with the network's others; nil when standalone.
    var sparseWorkspace: SparseWorkspace?

    /// Creates the layer with weights drawn from `random`; the weight is [out, in, k, k].
    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1,
        padding: Int = 0, bias: Bool = true, initializer: Initializer = .kaimingUniformDefault,
        random: inout RandomStream
    ) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        weight = Parameter(shape: [outputChannels, inputChannels, kernelSize, kernelSize], kind: .weight)
        self.bias = bias ? Parameter(shape: [outputChannels], kind: .bias) : nil
        let area = kernelSize * kernelSize
        initializer.fill(
            weight: weight.value, bias: self.bias?.value, fanIn: inputChannels * area,
            fanOut: outputChannels * area, random: &random)
    }

    func geometry(_ inputShape: [Int]) -> ConvolutionGeometry {
        ConvolutionGeometry(
            channels: inputChannels, height: inputShape[2], width: inputShape[3],
            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(inputShape)
        return [outputChannels, inputShape[1], g.outputHeight, g.outputWidth]
    }

    /// Samples per GEMM so that a group's columns fit the budget; the whole batch when pointwise.
    func groupSize(_ g: ConvolutionGeometry, batch: Int) -> Int {
        if g.isPointwise { return batch }
        let perSample = g.patchSize * g.outputPlane * MemoryLayout<Float>.stride
        let least = (minimumGroupPositions + g.outputPlane - 1) / g.outputPlane
        return max(1, min(batch, max(least, columnBudgetBytes / max(perSample, 1))))
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(
            input.shape.count == 4 && input.shape[0] == inputChannels,
            "Conv2d(\(inputChannels), \(outputChannels)) got \(input.shape)")
        let g = geometry(input.shape)
        let batch = input.shape[1]
        let plane = g.outputPlane
        let output = Tensor.reusing(self.output, shape: outputShape(for: input.shape))
        self.output = output
        self.input = mode == .training ? input : nil
        inputShape = mode == .training ? input.shape : nil
        if weight.isCompact {
            sparseForward(input, g, into: output)
            return output
        }
        let multiplyAdds = outputChannels * g.patchSize * plane * batch
        if usesDirect(g) {
            directForward(input, g, into: output)
            flops = FLOPCount(forward: 2 * multiplyAdds + (bias == nil ? 0 : output.count))
            return output
        }
        if runsWinograd(g) {
            winogradForward(input, g, into: output)
        } else if isWide(g) {
            wideForward(input, g, into: output)  // adds the bias after compacting
        } else {
            // The GEMMs add into the output (beta 1), so it starts as the bias.
            if let bias {
                for channel in 0..<outputChannels {
                    (output.data + channel * batch * plane).update(repeating: bias.value[channel], count: batch * plane)
                }
            }
            let group = groupSize(g, batch: batch)
            for first in Swift.stride(from: 0, to: batch, by: group) {
                let count = min(group, batch - first)
                let (columns, leading) = unfoldedColumns(input, g, first: first, count: count)
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: outputChannels, n: count * plane, k: g.patchSize,
                    a: weight.value.data, lda: g.patchSize, b: columns, ldb: leading,
                    beta: bias == nil ? 0 : 1, c: output.data + first * plane, ldc: batch * plane)
            }
        }
        flops = FLOPCount(forward: 2 * multiplyAdds + (bias == nil ? 0 : output.count))
        return output
    }

    /// Whether this geometry runs over wide rows (see `Conv2d+Wide.swift`).
    ///
    /// It needs a window larger than one value and no more than 30% of thrown-away positions:
    /// 3x3 windows on 8x8 images and larger, not LeNet-5's 5x5 on 14x14, which ran slower over
    /// wide rows. ResNet-20's 8x8 stage (25%) took 1.5% less CPU time per step over wide rows than
    /// with im2col (medians of 4 alternating runs). Stride 2 runs over phase planes, for 3x3
    /// windows with at least 8 input channels and outputs at least 8 wide (ResNet-20's two
    /// downsampling convolutions). A 3-channel stem keeps im2col, whose GEMM has 9 times the rows;
    /// ResNet-18's 8x8 -> 4x4 convolution (20 wide positions per sample and GEMM) took 460 against
    /// 387 ms a step over phase planes.
    func isWide(_ g: ConvolutionGeometry) -> Bool {
        let strideFits =
            g.stride == 1 || (g.stride == 2 && kernelSize == 3 && inputChannels >= 8 && g.outputWidth >= 8)
        return usesWideRows && strideFits && !g.isPointwise
            && 100 * WideGeometry(base: g, batch: 1).paddedWidth <= 130 * g.outputWidth
    }

    /// The column matrix of a group and its leading dimension: the input itself when pointwise.
    private func unfoldedColumns(_ input: Tensor, _ g: ConvolutionGeometry, first: Int, count: Int)
        -> (UnsafeMutablePointer<Float>, Int)
    {
        let batch = input.shape[1]
        if g.isPointwise { return (input.data + first * g.outputPlane, batch * g.outputPlane) }
        let shape = [g.patchSize, groupSize(g, batch: batch) * g.outputPlane]
        let columns = Tensor.reusing(self.columns, shape: shape, role: .workspace)
        self.columns = columns
        Im2Col.unfold(input.data, batch: batch, first: first, count: count, geometry: g, into: columns.data)
        return (columns.data, count * g.outputPlane)
    }

    /// Whether `backward(_:adding:)` can add dX into another tensor without a tensor of its own:
    /// while the weight is compact and dX is asked for.
    public var addsInputGradient: Bool { weight.isCompact && needsInputGradient }

    /// The backward pass, adding dX into `target` (the input's shape) instead of returning it.
    ///
    /// A residual block sums the input gradients of its two paths: the second path to finish adds
    /// into the first one's, which saves a pass over the activations and a tensor of their size.
    /// Needs `addsInputGradient`.
    public func backward(_ outputGradient: Tensor, adding target: Tensor) {
        guard let inputShape else { preconditionFailure("Conv2d.backward without a training forward") }
        precondition(
            addsInputGradient && target.shape == inputShape, "Conv2d.backward(adding:) needs a compact weight")
        self.outputGradient = outputGradient
        // A dX of its own from an earlier storage would stay allocated for nothing.
        inputGradient = nil
        let g = geometry(inputShape)
        biasGradient(outputGradient, g)
        sparseBackward(outputGradient, g, into: target, adding: true)
    }

    /// The bias gradient, the sum of dY over each output channel.
    private func biasGradient(_ outputGradient: Tensor, _ g: ConvolutionGeometry) {
        guard let gradient = bias?.gradient else { return }
        let run = outputGradient.shape[1] * g.outputPlane
        for channel in 0..<outputChannels {
            gradient[channel] = Elementwise.sum(outputGradient.data + channel * run, count: run)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let inputShape else { preconditionFailure("Conv2d.backward without a training forward") }
        self.outputGradient = outputGradient
        let g = geometry(inputShape)
        let batch = inputShape[1]
        let plane = g.outputPlane
        let weightGradient = weight.gradient!
        biasGradient(outputGradient, g)
        var inputGradient: Tensor?
        if weight.isCompact {
            if needsInputGradient {
                inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
                self.inputGradient = inputGradient
            }
            sparseBackward(outputGradient, g, into: inputGradient)
            return inputGradient
        }
        guard let input else { preconditionFailure("Conv2d: a dense backward needs the input tensor") }
        let multiplyAdds = outputChannels * g.patchSize * plane * batch
        if usesDirect(g) {
            directBackward(outputGradient, g)
            weight.maskGradient()
            flops.backward = 2 * multiplyAdds + (bias == nil ? 0 : outputGradient.count)
            return nil
        }
        if needsInputGradient {
            let gradient = Tensor.reusing(self.inputGradient, shape: input.shape)
            if !isWide(g) && !runsWinograd(g) { gradient.zero() }
            self.inputGradient = gradient
            inputGradient = gradient
        }
        if runsWinograd(g) {
            winogradBackward(outputGradient, g, into: inputGradient)
        } else if isWide(g) {
            wideBackward(outputGradient, g, into: inputGradient)
        } else {
            let group = groupSize(g, batch: batch)
            for first in Swift.stride(from: 0, to: batch, by: group) {
                let count = min(group, batch - first)
                let (columns, leading) = unfoldedColumns(input, g, first: first, count: count)
                let gradientRows = outputGradient.data + first * plane
                accumulateWeightGradient(
                    gradientRows, leading: batch * plane, columns, leading: leading, g, positions: count * plane,
                    first: first == 0)
                if let inputGradient {
                    propagate(gradientRows, g, batch: batch, first: first, count: count, into: inputGradient)
                }
            }
        }
        if transposedWeightGradient(g) && !isWide(g) && !runsWinograd(g) { transposeInto(weightGradient) }
        weight.maskGradient()
        flops.backward = 2 * multiplyAdds * (needsInputGradient ? 2 : 1) + (bias == nil ? 0 : outputGradient.count)
        return inputGradient
    }

    /// The output, dX when needed, and the scratch of the path this geometry takes: the sparse
    /// kernel's planes when compact, else the wide rows' padded buffers and columns, or the im2col
    /// columns of one group.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        trainingTensors(inputShape: inputShape, ownsInputGradient: needsInputGradient)
    }

    /// `trainingTensors(inputShape:)`, with a dX tensor only if `ownsInputGradient` (not when
    /// `backward(_:adding:)` adds it into another).
    func trainingTensors(inputShape: [Int], ownsInputGradient: Bool) -> [Int] {
        let g = geometry(inputShape)
        let batch = inputShape[1]
        var tensors =
            [tensorBytes(outputShape(for: inputShape))] + (ownsInputGradient ? [tensorBytes(inputShape)] : [])
        if weight.isCompact, let pattern = weight.pattern {
            return tensors + sparseTrainingTensors(g, batch: batch, kept: pattern.count)
        }
        if usesDirect(g) {
            // Only the padded input, which backward reads.
            return tensors + [tensorBytes([WideGeometry(base: g, batch: batch).paddedCount])]
        }
        if runsWinograd(g) {
            tensors += winogradTrainingTensors(g, batch: batch)
        } else if isWide(g) {
            let w = WideGeometry(base: g, batch: batch)
            // The padded input, the offset weights, one sample's wide output and the offset weight
            // gradient; dX adds a padded gradient.
            let (padded, weights) = (tensorBytes([w.paddedCount]), tensorBytes([g.patchSize, outputChannels]))
            tensors += [padded, weights, tensorBytes([outputChannels, w.widePlane]), weights]
            if needsInputGradient { tensors.append(padded) }
        } else if !g.isPointwise {
            if transposedWeightGradient(g) { tensors.append(tensorBytes([g.patchSize, outputChannels])) }
            let columns = tensorBytes([g.patchSize, groupSize(g, batch: batch) * g.outputPlane])
            tensors += needsInputGradient ? [columns, columns] : [columns]
        }
        return tensors
    }

    /// Whether dW is accumulated transposed, as [patch, out]: OpenBLAS runs the product about twice
    /// as fast when its first dimension is the larger one (measured: 16x144 outputs over 1,024
    /// positions ran at 35 GFLOP/s as [16, 144] and at 73 GFLOP/s as [144, 16]).
    private func transposedWeightGradient(_ g: ConvolutionGeometry) -> Bool { g.patchSize > outputChannels }

    /// Adds a group's share to dW: dY[out, group] columns^T[group, patch], in the faster orientation.
    private func accumulateWeightGradient(
        _ gradientRows: UnsafePointer<Float>, leading gradientLeading: Int, _ columns: UnsafePointer<Float>,
        leading: Int, _ g: ConvolutionGeometry, positions: Int, first: Bool
    ) {
        if transposedWeightGradient(g) {
            let scratch = Tensor.reusing(weightGradientScratch, shape: [g.patchSize, outputChannels], role: .workspace)
            weightGradientScratch = scratch
            // dW^T[patch, out] (+)= columns[patch, group] dY^T[group, out]
            BLAS.gemm(
                transposeA: false, transposeB: true, m: g.patchSize, n: outputChannels, k: positions,
                a: columns, lda: leading, b: gradientRows, ldb: gradientLeading,
                beta: first ? 0 : 1, c: scratch.data, ldc: outputChannels)
        } else {
            // dW[out, patch] (+)= dY[out, group] columns^T[group, patch]
            BLAS.gemm(
                transposeA: false, transposeB: true, m: outputChannels, n: g.patchSize, k: positions,
                a: gradientRows, lda: gradientLeading, b: columns, ldb: leading,
                beta: first ? 0 : 1, c: weight.gradient!.data, ldc: g.patchSize)
        }
    }

    /// Writes the transposed scratch [patch, out] into dW [out, patch].
    private func transposeInto(_ weightGradient: Tensor) {
        guard let scratch = weightGradientScratch else { return }
        let (patch, outputs) = (scratch.shape[0], scratch.shape[1])
        for row in 0..<patch {
            for column in 0..<outputs { weightGradient[column * patch + row] = scratch[row * outputs + column] }
        }
    }

    /// dX of a group: columns' gradient W^T dY, folded back into the input's layout.
    private func propagate(
        _ gradientRows: UnsafePointer<Float>, _ g: ConvolutionGeometry, batch: Int, first: Int,
        count: Int, into inputGradient: Tensor
    ) {
        let plane = g.outputPlane
        if g.isPointwise {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
                a: weight.value.data, lda: g.patchSize, b: gradientRows, ldb: batch * plane,
                c: inputGradient.data + first * plane, ldc: batch * plane)
            return
        }
        let shape = [g.patchSize, groupSize(g, batch: batch) * plane]
        let columnGradient = Tensor.reusing(self.columnGradient, shape: shape, role: .workspace)
        self.columnGradient = columnGradient
        BLAS.gemm(
            transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
            a: weight.value.data, lda: g.patchSize, b: gradientRows, ldb: batch * plane,
            c: columnGradient.data, ldc: count * plane)
        Im2Col.fold(
            columnGradient.data, batch: batch, first: first, count: count, geometry: g, into: inputGradient.data)
    }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(qualified(prefix, "weight"), weight)
        if let bias { visit(qualified(prefix, "bias"), bias) }
    }
}
