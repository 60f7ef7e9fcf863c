import OrchardTensor

/// A layer shape whose dense and sparse steps the kernel benchmarks time.
enum KernelShape: Sendable {
    case linear(name: String, inputs: Int, outputs: Int, batch: Int)
    case convolution(name: String, geometry: ConvolutionGeometry, outputChannels: Int, batch: Int)

    var name: String {
        switch self {
        case .linear(let name, _, _, _), .convolution(let name, _, _, _): name
        }
    }

    /// Rows and columns of the weight matrix.
    var weightShape: (rows: Int, columns: Int) {
        switch self {
        case .linear(_, let inputs, let outputs, _): (outputs, inputs)
        case .convolution(_, let geometry, let outputChannels, _): (outputChannels, geometry.patchSize)
        }
    }

    /// LeNet-5 and ResNet layers at batch 64: the shapes behind the thresholds of `SparseDispatch`.
    static let representative: [KernelShape] = {
        func conv(_ name: String, _ input: Int, _ output: Int, _ size: Int, kernel: Int, stride: Int, padding: Int)
            -> KernelShape
        {
            .convolution(
                name: name,
                geometry: ConvolutionGeometry(
                    channels: input, height: size, width: size, kernelHeight: kernel, kernelWidth: kernel,
                    stride: stride, padding: padding),
                outputChannels: output, batch: 64)
        }
        return [
            conv("LeNet conv 1->6 5x5 p2 28x28", 1, 6, 28, kernel: 5, stride: 1, padding: 2),
            conv("LeNet conv 6->16 5x5 14x14", 6, 16, 14, kernel: 5, stride: 1, padding: 0),
            .linear(name: "LeNet fc 400->120", inputs: 400, outputs: 120, batch: 64),
            .linear(name: "LeNet fc 120->84", inputs: 120, outputs: 84, batch: 64),
            conv("ResNet 3x3 16->16 32x32", 16, 16, 32, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 32->32 16x16", 32, 32, 16, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 64->64 8x8", 64, 64, 8, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 64->64 32x32", 64, 64, 32, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 128->128 16x16", 128, 128, 16, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 256->256 8x8", 256, 256, 8, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 512->512 4x4", 512, 512, 4, kernel: 3, stride: 1, padding: 1),
            conv("ResNet 3x3 s2 16->32 32x32", 16, 32, 32, kernel: 3, stride: 2, padding: 1),
            conv("ResNet 3x3 s2 64->128 32x32", 64, 128, 32, kernel: 3, stride: 2, padding: 1),
            conv("ResNet 1x1 s2 64->128 32x32", 64, 128, 32, kernel: 1, stride: 2, padding: 0),
            conv("ResNet 3x3 s2 256->512 8x8", 256, 512, 8, kernel: 3, stride: 2, padding: 1),
        ]
    }()
}
