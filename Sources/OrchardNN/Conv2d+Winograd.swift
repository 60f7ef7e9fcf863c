import OrchardTensor

/// The Winograd path: stride-1 3x3 convolutions with padding 1 on even planes, forward, input
/// gradient and weight gradient as `Winograd` F(2x2, 3x3) computations.
///
/// The transforms pad as they read, so neither the input nor dY is copied into a padded buffer:
/// forward convolves the input, backward convolves dY with the flipped kernels straight into dX
/// and computes dW from the input's and dY's tiles transformed again
/// (`Winograd+WeightGradient.swift`). Keeping the forward pass's transformed tiles instead would
/// cost four times the input per layer. `ConvolutionPlan` takes this path with a dense weight and
/// at least 8 channels on each side: the 3-channel stem's products would be too thin for the
/// transforms to pay.
extension Conv2d {
    /// Bytes of transformed tiles per block: a quarter of the core's 1 MiB L2, so the tiles and
    /// their products stay in it between the transforms and the 16 GEMMs.
    static let winogradBlockBytes = 256 * 1024

    /// Runs a Winograd convolution with `weight` transformed for it (flipped for dX).
    private func winogradConvolve(
        _ source: Tensor, _ plan: ConvolutionPlan, flipped: Bool, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let weights = plan.tensor(.winogradWeights)
        Winograd.transformWeights(
            weight.value.data, outputs: outputChannels, inputs: inputChannels, flipped: flipped, into: weights.data)
        let (tiles, products) = (plan.tensor(.winogradTiles), plan.tensor(.winogradProducts))
        Winograd.convolve(
            source.data, plan: plan.winograd(flipped: flipped), weights: weights.data, bias: bias, tiles: tiles.data,
            products: products.data,
            into: output)
    }

    func winogradForward(_ input: Tensor, _ plan: ConvolutionPlan, into output: Tensor) {
        winogradConvolve(
            input, plan, flipped: false, bias: bias.map { UnsafePointer($0.value.data) }, into: output.data)
    }

    func winogradBackward(_ outputGradient: Tensor, _ plan: ConvolutionPlan, into inputGradient: Tensor?) {
        guard let input else { preconditionFailure("Conv2d Winograd backward without its forward") }
        if let inputGradient {
            winogradConvolve(outputGradient, plan, flipped: true, bias: nil, into: inputGradient.data)
        }
        // dU goes where the transformed weights were: forward transforms them again.
        let (tiles, products) = (plan.tensor(.winogradTiles), plan.tensor(.winogradProducts))
        let transformed = plan.tensor(.winogradWeights)
        Winograd.weightGradient(
            input.data, outputGradient: outputGradient.data, plan: plan.winograd(), tiles: tiles.data,
            products: products.data, into: transformed.data)
        Winograd.untransformWeightGradient(
            transformed.data, outputs: outputChannels, inputs: inputChannels, into: weight.gradient!.data)
    }
}
