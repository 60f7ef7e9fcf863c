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
    }

    public var outputHeight: Int { Self.windows(height, kernel: kernelHeight, stride: stride, padding: padding) }
    public var outputWidth: Int { Self.windows(width, kernel: kernelWidth, stride: stride, padding: padding) }

    /// How many positions a window of `kernel` takes along `size` (zero when it does not fit).
    public static func windows(_ size: Int, kernel: Int, stride: Int, padding: Int = 0) -> Int {
        let span = size + 2 * padding - kernel
        return span < 0 ? 0 : span / stride + 1
    }
    /// Output positions per sample and channel.
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Input positions per sample and channel.
    public var inputPlane: Int { height * width }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Whether the column matrix is the input itself (1x1 kernel, stride 1, no padding).
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// The valid output columns `ox` for kernel column `kernelColumn`: those that read inside the row.
    @inlinable func validColumns(kernelColumn: Int) -> Range<Int> {
        // ix = ox * stride - padding + kernelColumn must lie in 0..<width.
        let shift = padding - kernelColumn
        let first = shift > 0 ? (shift + stride - 1) / stride : 0
        let limit = width + shift  // ox * stride < limit
        let end = limit > 0 ? min(outputWidth, (limit + stride - 1) / stride) : 0
        return first..<max(first, end)
    }
}

/// Unfolds and folds convolution patches of channel-major activations ([C, N, H, W]).
///
/// The column matrix of samples `first..<first+count` has `patchSize` rows and `count *
/// outputPlane` columns; column `s * outputPlane + p` is output position `p` of sample `first + s`.
/// A convolution is then one GEMM, and its output lands directly in the channel-major layout.
public enum Im2Col {
    /// Fills `columns` with the patches of samples `first..<first+count` of a batch of `batch`.
    public static func unfold(
        _ input: UnsafePointer<Float>, batch: Int, first: Int, count: Int,
        geometry g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>
    ) {
        let plane = g.outputPlane
        let rowLength = count * plane
        for channel in 0..<g.channels {
            for kernelRow in 0..<g.kernelHeight {
                for kernelColumn in 0..<g.kernelWidth {
                    let row = (channel * g.kernelHeight + kernelRow) * g.kernelWidth + kernelColumn
                    let valid = g.validColumns(kernelColumn: kernelColumn)
                    for sample in 0..<count {
                        let source = input + (channel * batch + first + sample) * g.inputPlane
                        let target = columns + row * rowLength + sample * plane
                        unfoldPlane(source, g, kernelRow, kernelColumn, valid, target)
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func unfoldPlane(
        _ source: UnsafePointer<Float>, _ g: ConvolutionGeometry, _ kernelRow: Int,
        _ kernelColumn: Int, _ valid: Range<Int>, _ target: UnsafeMutablePointer<Float>
    ) {
        let outputWidth = g.outputWidth
        for outputRow in 0..<g.outputHeight {
            let line = target + outputRow * outputWidth
            let inputRow = outputRow * g.stride - g.padding + kernelRow
            guard inputRow >= 0 && inputRow < g.height, !valid.isEmpty else {
                Elementwise.fill(line, 0, count: outputWidth)
                continue
            }
            Elementwise.fill(line, 0, count: valid.lowerBound)
            let sourceLine = source + inputRow * g.width - g.padding + kernelColumn
            if g.stride == 1 {
                Elementwise.copy(sourceLine + valid.lowerBound, line + valid.lowerBound, count: valid.count)
            } else {
                for column in valid { line[column] = sourceLine[column * g.stride] }
            }
            Elementwise.fill(line + valid.upperBound, 0, count: outputWidth - valid.upperBound)
        }
    }

    /// Adds the patches in `columns` back into the input-shaped `gradient` (the adjoint of `unfold`).
    public static func fold(
        _ columns: UnsafePointer<Float>, batch: Int, first: Int, count: Int,
        geometry g: ConvolutionGeometry, into gradient: UnsafeMutablePointer<Float>
    ) {
        let plane = g.outputPlane
        let rowLength = count * plane
        for channel in 0..<g.channels {
            for kernelRow in 0..<g.kernelHeight {
                for kernelColumn in 0..<g.kernelWidth {
                    let row = (channel * g.kernelHeight + kernelRow) * g.kernelWidth + kernelColumn
                    let valid = g.validColumns(kernelColumn: kernelColumn)
                    if valid.isEmpty { continue }
                    for sample in 0..<count {
                        let target = gradient + (channel * batch + first + sample) * g.inputPlane
                        let source = columns + row * rowLength + sample * plane
                        foldPlane(source, g, kernelRow, kernelColumn, valid, target)
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func foldPlane(
        _ source: UnsafePointer<Float>, _ g: ConvolutionGeometry, _ kernelRow: Int,
        _ kernelColumn: Int, _ valid: Range<Int>, _ target: UnsafeMutablePointer<Float>
    ) {
        for outputRow in 0..<g.outputHeight {
            let inputRow = outputRow * g.stride - g.padding + kernelRow
            guard inputRow >= 0 && inputRow < g.height else { continue }
            let line = source + outputRow * g.outputWidth
            let targetLine = target + inputRow * g.width - g.padding + kernelColumn
            if g.stride == 1 {
                for column in valid { targetLine[column] += line[column] }
            } else {
                for column in valid { targetLine[column * g.stride] += line[column] }
            }
        }
    }
}
