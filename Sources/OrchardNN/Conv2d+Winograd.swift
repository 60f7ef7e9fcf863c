import OrchardTensor

/// The Winograd path: stride-1 3x3 convolutions with padding 1 on even planes, forward, input
/// gradient and weight gradient as `Winograd` F(2x2, 3x3) computations.
///
/// Forward pads the input (kept for backward, as the wide path does) and convolves it. Backward
/// pads dY once; dX is the Winograd convolution of the padded dY with the flipped kernels, written
/// straight into dX, and dW comes from the padded input's and dY's tiles transformed again
/// (`Winograd+WeightGradient.swift`). Keeping the forward pass's transformed tiles instead would
/// cost four times the input per layer.
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
        let paddedGradient = pad(outputGradient, outputGradientGeometry(g, batch: batch), reusing: paddedOutputGradient)
        paddedOutputGradient = paddedGradient
        let plan = winogradPlan(g, batch: batch)
        if let inputGradient {
            let flipped = Winograd.Plan(
                inputs: outputChannels, outputs: inputChannels, batch: batch, height: g.height, width: g.width,
                budgetBytes: Self.winogradBlockBytes)
            winogradConvolve(paddedGradient, plan: flipped, flipped: true, bias: nil, into: inputGradient.data)
        }
        // dU goes where the transformed weights were: forward transforms them again.
        guard let tiles = winogradTiles, let products = winogradProducts, let transformed = winogradWeights else {
            preconditionFailure("Conv2d Winograd backward without its forward")
        }
        Winograd.weightGradient(
            padded.data, paddedGradient: paddedGradient.data, plan: plan, tiles: tiles.data, products: products.data,
            into: transformed.data)
        Winograd.untransformWeightGradient(
            transformed.data, outputs: outputChannels, inputs: inputChannels, into: weight.gradient!.data)
    }

    /// The padded input, the transformed weights (then dU), a block's tiles and products, and the padded dY.
    func winogradTrainingTensors(_ g: ConvolutionGeometry, batch: Int) -> [Int] {
        let plan = winogradPlan(g, batch: batch)
        let block = tensorBytes([plan.blockCount])
        return [
            tensorBytes([WideGeometry(base: g, batch: batch).paddedCount]), tensorBytes([plan.weightCount]), block,
            block,
            tensorBytes([outputGradientGeometry(g, batch: batch).paddedCount]),
        ]
    }
}
