/// The shape arithmetic of a 2-D convolution or pooling window over [C, N, H, W] activations.
public struct ConvolutionGeometry: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int

    public init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int,
        padding: Int
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        // Stored, not computed: the kernels read these in their inner loops, and a division there
        // cost as much as the copying.
        outputHeight = Self.windows(height, kernel: kernelHeight, stride: stride, padding: padding)
        outputWidth = Self.windows(width, kernel: kernelWidth, stride: stride, padding: padding)
        outputPlane = outputHeight * outputWidth
        inputPlane = height * width
    }

    public let outputHeight: Int
    public let outputWidth: Int

    /// How many positions a window of `kernel` takes along `size` (zero when it does not fit).
    public static func windows(_ size: Int, kernel: Int, stride: Int, padding: Int = 0) -> Int {
        let span = size + 2 * padding - kernel
        return span < 0 ? 0 : span / stride + 1
    }
    /// Output positions per sample and channel.
    public let outputPlane: Int
    /// Input positions per sample and channel.
    public let inputPlane: Int
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Whether the column matrix is the input itself (1x1 kernel, stride 1, no padding).
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
}
