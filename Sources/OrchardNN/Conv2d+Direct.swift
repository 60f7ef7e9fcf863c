import OrchardTensor

/// The direct path: `DirectConvolution` over the padded input instead of columns and a GEMM.
///
/// `ConvolutionPlan` takes it for the first layer of a network (no input gradient) when it has at
/// most three input channels, an even number of output channels and a 5 x 5 stride-1 window:
/// LeNet-5's conv1.
/// There im2col makes 25 column rows per input value and the GEMM has 6 rows, so the GEMM runs far
/// below the core's speed; the register-blocked kernels took the layer from 0.38 to 0.27 ms forward
/// and 0.40 to 0.28 ms backward at batch 64 (`orchard bench step --model lenet5 --profile`).
extension Conv2d {
    func directShape(_ w: WideGeometry) -> DirectConvolution.Shape {
        DirectConvolution.Shape(
            inputChannels: inputChannels, outputChannels: outputChannels, batch: w.batch, kernel: kernelSize,
            paddedWidth: w.paddedWidth, paddedPlane: w.paddedPlane, outputHeight: w.base.outputHeight,
            outputWidth: w.base.outputWidth)
    }

    /// Pads the input (kept for backward) and writes the convolution and bias into `output`.
    func directForward(_ input: Tensor, _ plan: ConvolutionPlan, into output: Tensor) {
        let w = plan.wide
        let padded = pad(input, w, into: plan.tensor(.padded))
        DirectConvolution.forward(
            padded.data, weights: weight.value.data, bias: bias.map { UnsafePointer($0.value.data) },
            shape: directShape(w), into: output.data)
    }

    /// dW from the padded input kept by forward.
    func directBackward(_ outputGradient: Tensor, _ plan: ConvolutionPlan) {
        guard let padded = plan.existing(.padded) else {
            preconditionFailure("Conv2d direct backward without its forward")
        }
        let w = plan.wide
        DirectConvolution.weightGradient(
            padded.data, outputGradient: outputGradient.data, shape: directShape(w), into: weight.gradient!.data)
    }
}
