import OrchardTensor

/// The Winograd path: stride-1 3x3 convolutions with padding 1 on even planes, forward and input
/// gradient as `Winograd` F(2x2, 3x3) convolutions, the weight gradient over wide rows.
///
/// Forward pads the input (kept for backward, as the wide path does) and convolves it. Backward
/// pads dY once; that buffer serves both products. Its interior, read from one row and one column
/// into the border, is exactly the wide-row layout of dY (each row of W values followed by two
/// zeros), so dW is the wide path's k * k GEMMs per sample without spreading dY. dX is the
/// Winograd convolution of the padded dY with the flipped kernels, written straight into dX.
extension Conv2d {
    /// Bytes of transformed tiles per block: a quarter of the core's 1 MiB L2, so the tiles and
    /// their products stay in it between the transforms and the 16 GEMMs.
    static let winogradBlockBytes = 256 * 1024

    /// Whether this layer and geometry run Winograd: stride 1, a 3x3 window with padding 1, even
    /// planes, a dense weight, and at least 8 channels on each side (the 3-channel stem's products
    /// would be too thin for the transforms to pay).
    func runsWinograd(_ g: ConvolutionGeometry) -> Bool {
        usesWinograd && !weight.isCompact && kernelSize == 3 && g.stride == 1 && g.padding == 1
            && g.height % 2 == 0 && g.width % 2 == 0 && min(inputChannels, outputChannels) >= 8
    }

    func winogradPlan(_ g: ConvolutionGeometry, batch: Int) -> Winograd.Plan {
        Winograd.Plan(
            inputs: inputChannels, outputs: outputChannels, batch: batch, height: g.height, width: g.width,
            budgetBytes: Self.winogradBlockBytes)
    }

    /// The padded geometry of dY, which has the output's channels and the input's plane.
    func outputGradientGeometry(_ g: ConvolutionGeometry, batch: Int) -> WideGeometry {
        let base = ConvolutionGeometry(
            channels: outputChannels, height: g.height, width: g.width, kernelHeight: 3, kernelWidth: 3, stride: 1,
            padding: 1)
        return WideGeometry(base: base, batch: batch)
    }

    /// Runs a Winograd convolution with `weight` transformed for it (flipped for dX).
    private func winogradConvolve(
        _ padded: Tensor, plan: Winograd.Plan, flipped: Bool, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let weights = Tensor.reusing(winogradWeights, shape: [16, plan.weightCount / 16], role: .workspace)
        winogradWeights = weights
        Winograd.transformWeights(
            weight.value.data, outputs: outputChannels, inputs: inputChannels, flipped: flipped, into: weights.data)
        let tiles = Tensor.reusing(winogradTiles, shape: [plan.blockCount], role: .workspace)
        let products = Tensor.reusing(winogradProducts, shape: [plan.blockCount], role: .workspace)
        (winogradTiles, winogradProducts) = (tiles, products)
        Winograd.convolve(
            padded.data, plan: plan, weights: weights.data, bias: bias, tiles: tiles.data, products: products.data,
            into: output)
    }

    func winogradForward(_ input: Tensor, _ g: ConvolutionGeometry, into output: Tensor) {
        let batch = input.shape[1]
        let padded = pad(input, WideGeometry(base: g, batch: batch))
        winogradConvolve(
            padded, plan: winogradPlan(g, batch: batch), flipped: false,
            bias: bias.map { UnsafePointer($0.value.data) }, into: output.data)
    }

    func winogradBackward(_ outputGradient: Tensor, _ g: ConvolutionGeometry, into inputGradient: Tensor?) {
        guard let padded = paddedInput else { preconditionFailure("Conv2d Winograd backward without its forward") }
        let batch = outputGradient.shape[1]
        let w = WideGeometry(base: g, batch: batch)
        let paddedGradient = pad(outputGradient, outputGradientGeometry(g, batch: batch), reusing: paddedOutputGradient)
        paddedOutputGradient = paddedGradient
        let weightGradient = Tensor.reusing(
            offsetWeightGradient, shape: [g.patchSize, outputChannels], role: .workspace)
        offsetWeightGradient = weightGradient
        let (block, rows) = (outputChannels * inputChannels, batch * w.paddedPlane)
        for sample in 0..<batch {
            // dY's wide rows start one row and one column into its padded plane.
            let wideGradient = paddedGradient.data + sample * w.paddedPlane + w.paddedWidth + 1
            for offset in 0..<9 {
                // dW_offset[out, in] (+)= wide dY[out, n] padded[in, n + shift]^T
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: outputChannels, n: inputChannels, k: w.widePlane,
                    a: wideGradient, lda: rows, b: padded.data + sample * w.paddedPlane + shift(offset, w), ldb: rows,
                    beta: sample == 0 ? 0 : 1, c: weightGradient.data + offset * block, ldc: inputChannels)
            }
        }
        ungroupWeightGradient(weightGradient)
        guard let inputGradient else { return }
        let plan = Winograd.Plan(
            inputs: outputChannels, outputs: inputChannels, batch: batch, height: g.height, width: g.width,
            budgetBytes: Self.winogradBlockBytes)
        winogradConvolve(paddedGradient, plan: plan, flipped: true, bias: nil, into: inputGradient.data)
    }

    /// The padded input, the transformed weights, a block's tiles and products, the offset weight
    /// gradient and the padded dY.
    func winogradTrainingTensors(_ g: ConvolutionGeometry, batch: Int) -> [Int] {
        let plan = winogradPlan(g, batch: batch)
        let block = tensorBytes([plan.blockCount])
        return [
            tensorBytes([WideGeometry(base: g, batch: batch).paddedCount]), tensorBytes([plan.weightCount]), block,
            block, tensorBytes([g.patchSize, outputChannels]),
            tensorBytes([outputGradientGeometry(g, batch: batch).paddedCount]),
        ]
    }
}
