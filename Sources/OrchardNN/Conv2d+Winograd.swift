import OrchardTensor

/// The Winograd path: stride-1 3x3 convolutions with padding 1 on even planes, forward, input
/// gradient and weight gradient as `Winograd` F(2x2, 3x3) computations.
///
/// The transforms pad as they read, so neither the input nor dY is copied into a padded buffer:
/// forward convolves the input, backward convolves dY with the flipped kernels straight into dX
/// and computes dW from the input's and dY's tiles transformed again
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

    /// Runs a Winograd convolution with `weight` transformed for it (flipped for dX).
    private func winogradConvolve(
        _ source: Tensor, plan: Winograd.Plan, flipped: Bool, bias: UnsafePointer<Float>?,
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
            source.data, plan: plan, weights: weights.data, bias: bias, tiles: tiles.data, products: products.data,
            into: output)
    }

    func winogradForward(_ input: Tensor, _ g: ConvolutionGeometry, into output: Tensor) {
        winogradConvolve(
            input, plan: winogradPlan(g, batch: input.shape[1]), flipped: false,
            bias: bias.map { UnsafePointer($0.value.data) }, into: output.data)
    }

    func winogradBackward(_ outputGradient: Tensor, _ g: ConvolutionGeometry, into inputGradient: Tensor?) {
        guard let input else { preconditionFailure("Conv2d Winograd backward without its forward") }
        let batch = outputGradient.shape[1]
        if let inputGradient {
            let flipped = Winograd.Plan(
                inputs: outputChannels, outputs: inputChannels, batch: batch, height: g.height, width: g.width,
                budgetBytes: Self.winogradBlockBytes)
            winogradConvolve(outputGradient, plan: flipped, flipped: true, bias: nil, into: inputGradient.data)
        }
        // dU goes where the transformed weights were: forward transforms them again.
        guard let tiles = winogradTiles, let products = winogradProducts, let transformed = winogradWeights else {
            preconditionFailure("Conv2d Winograd backward without its forward")
        }
        Winograd.weightGradient(
            input.data, outputGradient: outputGradient.data, plan: winogradPlan(g, batch: batch), tiles: tiles.data,
            products: products.data, into: transformed.data)
        Winograd.untransformWeightGradient(
            transformed.data, outputs: outputChannels, inputs: inputChannels, into: weight.gradient!.data)
    }

    /// The transformed weights (then dU) and a block's tiles and products.
    func winogradTrainingTensors(_ g: ConvolutionGeometry, batch: Int) -> [Int] {
        let plan = winogradPlan(g, batch: batch)
        let block = tensorBytes([plan.blockCount])
        return [tensorBytes([plan.weightCount]), block, block]
    }
}
