import OrchardTensor

/// The convolution with a compact sparse weight, and the gradient at arbitrary weight positions.
extension Conv2d {
    /// The forward pass through the sparse kernel, bias added after it.
    func sparseForward(_ input: Tensor, _ g: ConvolutionGeometry, into output: Tensor) {
        sparseKernel(for: g).forward(weight.pattern!, values: weight.value.data, input: input, output: output)
        finishSparseForward(g, output)
    }

    /// Whether the layer before can write the input straight into the sparse kernel's planes
    /// (`inputPlanes(for:)`): a compact weight at stride 1.
    public var takesInputPlanes: Bool { weight.isCompact && stride == 1 }

    /// The planes a compact stride-1 weight's kernel reads its input [Cin, N, H, W] from, for the
    /// layer before to write its output into (then `forward(fromInputPlanes:mode:)`); nil unless
    /// `takesInputPlanes`.
    public func inputPlanes(for inputShape: [Int]) -> InputPlanes? {
        guard takesInputPlanes, inputShape.count == 4, inputShape[0] == inputChannels else { return nil }
        return sparseKernel(for: geometry(inputShape)).inputPlanes(batch: inputShape[1])
    }

    /// The forward pass from the planes `inputPlanes(for:)` handed out, once the layer before filled them.
    public func forward(fromInputPlanes planes: InputPlanes, mode: Mode) -> Tensor {
        let g = geometry(planes.shape)
        let output = Tensor.reusing(self.output, shape: outputShape(for: planes.shape))
        self.output = output
        (input, inputShape) = (nil, mode == .training ? planes.shape : nil)
        sparseKernel(for: g).forwardFromInputPlanes(weight.pattern!, values: weight.value.data, output: output)
        finishSparseForward(g, output)
        return output
    }

    /// Adds the bias to the sparse kernel's output and counts the FLOPs.
    private func finishSparseForward(_ g: ConvolutionGeometry, _ output: Tensor) {
        let pattern = weight.pattern!
        let run = output.shape[1] * g.outputPlane
        if let bias {
            for channel in 0..<outputChannels {
                let rows = output.data + channel * run
                let value = bias.value[channel]
                for index in 0..<run { rows[index] += value }
            }
        }
        flops = FLOPCount(forward: 2 * pattern.count * run + (bias == nil ? 0 : output.count))
    }

    /// The backward pass through the sparse kernel: gradients at kept entries only, dX written into
    /// `inputGradient` or, with `adding`, added to it.
    func sparseBackward(
        _ outputGradient: Tensor, _ g: ConvolutionGeometry, into inputGradient: Tensor?, adding: Bool = false
    ) {
        let pattern = weight.pattern!
        sparseKernel(for: g).backward(
            pattern, values: weight.value.data, outputGradient: outputGradient, inputGradient: inputGradient,
            weightGradientValues: weight.gradient!.data, adding: adding)
        let run = outputGradient.shape[1] * g.outputPlane
        flops.backward =
            2 * pattern.count * run * (inputGradient == nil ? 1 : 2) + (bias == nil ? 0 : outputGradient.count)
    }

    /// The sparse convolution, its ReLU and a 2x2 max pool in one pass, into `output` [Cout, N, Ho / 2, Wo / 2].
    func sparsePooledForward(_ input: Tensor, mode: Mode, into output: Tensor) {
        let g = geometry(input.shape)
        self.input = mode == .training ? input : nil
        inputShape = mode == .training ? input.shape : nil
        let pattern = weight.pattern!
        sparseKernel(for: g).forwardPooled(
            pattern, values: weight.value.data, bias: bias.map { UnsafePointer($0.value.data) }, input: input,
            output: output)
        let run = input.shape[1] * g.outputPlane
        // As the three layers count apart: the convolution and bias, the ReLU, four reads per window.
        flops = FLOPCount(
            forward: 2 * pattern.count * run + (bias == nil ? 0 : outputChannels * run) + outputChannels * run
                + 4 * output.count)
    }

    /// The backward pass of `sparsePooledForward` from the pooled output's gradient.
    func sparsePooledBackward(_ outputGradient: Tensor, into inputGradient: Tensor?) {
        guard let input else { preconditionFailure("Conv2d.backward without a training forward") }
        self.outputGradient = outputGradient
        let g = geometry(input.shape)
        let pattern = weight.pattern!
        sparseKernel(for: g).backwardPooled(
            pattern, values: weight.value.data, outputGradient: outputGradient, inputGradient: inputGradient,
            weightGradientValues: weight.gradient!.data, biasGradient: bias?.gradient?.data)
        let run = input.shape[1] * g.outputPlane
        flops.backward =
            2 * pattern.count * run * (inputGradient == nil ? 1 : 2) + (bias == nil ? 0 : outputChannels * run)
            + outputChannels * run + outputGradient.count
    }

    /// The kernel object for this geometry, made anew when the input geometry or the workspace changes.
    private func sparseKernel(for g: ConvolutionGeometry) -> SparseConvolutionKernel {
        if let kernel = sparseKernel, kernel.geometry == g,
            sparseWorkspace == nil || kernel.workspace === sparseWorkspace
        {
            return kernel
        }
        let kernel = SparseConvolutionKernel(
            geometry: g, outputChannels: outputChannels, workspace: sparseWorkspace ?? SparseWorkspace())
        sparseKernel = kernel
        return kernel
    }

    /// The sparse kernel's own workspaces, and its per-call buffers unless a network's shared
    /// workspace holds them (`Network.predictedFootprint` counts that once).
    ///
    /// `pooled`: whether the kernel runs fused with a ReLU and max pool (`sparsePooledForward`).
    func sparseTrainingTensors(_ g: ConvolutionGeometry, batch: Int, kept: Int, pooled: Bool = false) -> [Int] {
        let owned = SparseConvolutionKernel.workspaceBytes(
            geometry: g, outputChannels: outputChannels, batch: batch, kept: kept, inputGradient: needsInputGradient,
            pooled: pooled)
        if sparseWorkspace != nil { return owned }
        return owned + sparseWorkspaceNeed(g, batch: batch, pooled: pooled).tensorBytes
    }

    /// What the sparse kernel asks of its workspace at this geometry and batch.
    func sparseWorkspaceNeed(_ g: ConvolutionGeometry, batch: Int, pooled: Bool = false) -> SparseWorkspace.Need {
        SparseConvolutionKernel.workspaceNeed(
            geometry: g, outputChannels: outputChannels, batch: batch, inputGradient: needsInputGradient,
            pooled: pooled)
    }

    public func prefersCompact(density: Double, inputShape: [Int]) -> Bool {
        SparseDispatch.prefersSparse(density: density, geometry: geometry(inputShape), outputChannels: outputChannels)
    }

    /// The gradient of the loss at arbitrary flat positions of the weight [out, in, k, k], from the
    /// last forward and backward pass, whatever the storage: what a search over pruned positions
    /// reads, tile by tile, without a dense gradient.
    ///
    /// Each position is one sum over the batch and the output plane, dW[o, c, i, j] =
    /// Σ dY[o, n, y, x] · X[c, n, y·s + i − p, x·s + j − p], skipping windows that fall on padding.
    public func weightGradient(at positions: UnsafeBufferPointer<Int32>, into gradients: UnsafeMutablePointer<Float>) {
        guard let inputShape, let outputGradient else {
            preconditionFailure("Conv2d.weightGradient without a training forward and backward")
        }
        if weight.isCompact, let kernel = sparseKernel {
            // The kernel kept its padded input; dY in the wide layout makes each one contiguous dot.
            kernel.gradient(
                at: positions.baseAddress!, count: positions.count, outputGradient: outputGradient, into: gradients)
            return
        }
        guard let input else { preconditionFailure("Conv2d.weightGradient of a dense weight needs the input tensor") }
        let g = geometry(inputShape)
        let batch = inputShape[1]
        let area = kernelSize * kernelSize
        for (slot, position) in positions.enumerated() {
            let flat = Int(position)
            let output = flat / (inputChannels * area)
            let channel = flat / area % inputChannels
            let (row, column) = (flat % area / kernelSize, flat % kernelSize)
            var sum: Float = 0
            for sample in 0..<batch {
                let gradientPlane = outputGradient.data + (output * batch + sample) * g.outputPlane
                let inputPlane = input.data + (channel * batch + sample) * g.inputPlane
                for y in 0..<g.outputHeight {
                    let sourceRow = y * stride + row - padding
                    guard sourceRow >= 0 && sourceRow < g.height else { continue }
                    let gradientLine = gradientPlane + y * g.outputWidth
                    let inputLine = inputPlane + sourceRow * g.width
                    for x in 0..<g.outputWidth {
                        let sourceColumn = x * stride + column - padding
                        if sourceColumn >= 0 && sourceColumn < g.width {
                            sum += gradientLine[x] * inputLine[sourceColumn]
                        }
                    }
                }
            }
            gradients[slot] = sum
        }
    }
}
