/// Where the layer before a stride-1 sparse convolution writes its output: straight into the
/// kernel's saved phase planes.
///
/// A convolution's input is written by the layer before (a batch norm), then read once by the
/// kernel's split into phase planes. When that layer writes the planes itself, the split's read
/// and write and the layer's own output tensor all go: one activation-sized tensor and two
/// passes over it fewer. At stride 1 each channel has one plane, the image at (pad, pad) of each
/// sample's block (`PhaseGeometry`, shared padding).
public struct InputPlanes {
    /// Channel c's image row r of sample n starts at `data + c * channelStride + n * sampleStride + r * rowStride`.
    public let data: UnsafeMutablePointer<Float>
    public let channelStride: Int
    public let sampleStride: Int
    public let rowStride: Int
    /// The image's shape [C, N, H, W].
    public let shape: [Int]

    /// The start of channel `channel`'s row `row` of sample `sample`.
    @inline(__always)
    public func row(channel: Int, sample: Int, row: Int) -> UnsafeMutablePointer<Float> {
        data + channel * channelStride + sample * sampleStride + row * rowStride
    }
}

extension SparseConvolutionKernel {
    /// The saved phase planes for `batch` samples, padding zero, for the layer before to write the
    /// input's image into before `forwardFromInputPlanes`; at stride 1, where each channel has one plane.
    public func inputPlanes(batch: Int) -> InputPlanes {
        precondition(geometry.stride == 1, "SparseConvolutionKernel input planes need stride 1")
        let (p, phases) = planes(batch: batch, pooled: false)
        let g = geometry
        return InputPlanes(
            data: phases + g.padding * p.planeWidth + g.padding, channelStride: p.wideLength,
            sampleStride: p.planeHeight * p.planeWidth, rowStride: p.planeWidth,
            shape: [g.channels, batch, g.height, g.width])
    }

    /// `forward` from the planes `inputPlanes(batch:)` handed out, once the layer before filled them.
    public func forwardFromInputPlanes(_ pattern: SparsePattern, values: UnsafePointer<Float>, output: Tensor) {
        check(pattern)
        multiply(pattern, values: values, savedGeometry(batch: output.shape[1]), into: output)
    }
}
