import OrchardTensor

/// The direct path: `DirectConvolution` over the padded input instead of columns and a GEMM.
///
/// It is taken by the first layer of a network (no input gradient) when it has at most three
/// input channels, an even number of output channels and a 5 x 5 stride-1 window: LeNet-5's conv1.
/// There im2col makes 25 column rows per input value and the GEMM has 6 rows, so the GEMM runs far
/// below the core's speed; the register-blocked kernels took the layer from 0.38 to 0.27 ms forward
/// and 0.40 to 0.28 ms backward at batch 64 (`orchard bench step --model lenet5 --profile`).
extension Conv2d {
    /// Whether this layer and geometry run the direct kernels.
    func usesDirect(_ g: ConvolutionGeometry) -> Bool {
        usesDirectKernel && !needsInputGradient && !weight.isCompact && g.stride == 1 && g.channels <= 3
            && DirectConvolution.supports(outputChannels: outputChannels, kernel: kernelSize)
    }

    func directShape(_ w: WideGeometry) -> DirectConvolution.Shape {
        DirectConvolution.Shape(
            inputChannels: inputChannels, outputChannels: outputChannels, batch: w.batch, kernel: kernelSize,
            paddedWidth: w.paddedWidth, paddedPlane: w.paddedPlane, outputHeight: w.base.outputHeight,
            outputWidth: w.base.outputWidth)
    }

    /// Pads the input (kept for backward) and writes the convolution and bias into `output`.
    func directForward(_ input: Tensor, _ g: ConvolutionGeometry, into output: Tensor) {
        let w = WideGeometry(base: g, batch: input.shape[1])
        let padded = pad(input, w)
        DirectConvolution.forward(
            padded.data, weights: weight.value.data, bias: bias.map { UnsafePointer($0.value.data) },
            shape: directShape(w), into: output.data)
    }

    /// dW from the padded input kept by forward.
    func directBackward(_ outputGradient: Tensor, _ g: ConvolutionGeometry) {
        guard let padded = paddedInput else { preconditionFailure("Conv2d direct backward without its forward") }
        let w = WideGeometry(base: g, batch: outputGradient.shape[1])
        DirectConvolution.weightGradient(
            padded.data, outputGradient: outputGradient.data, shape: directShape(w), into: weight.gradient!.data)
    }
}
