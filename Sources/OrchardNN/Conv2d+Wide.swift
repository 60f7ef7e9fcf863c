import OrchardTensor

/// The stride-1 convolution computed over "wide" rows, which makes im2col one copy per row.
///
/// The input is copied once into a zero-padded buffer of planes Hp x Wp. Output position (y, x) of
/// a k x k window then reads padded[(y + u) * Wp + x + v], so for a fixed (u, v) the positions of a
/// whole output plane, taken Wp to a row, are one contiguous run of the padded plane. The GEMM
/// computes Ho x Wp positions, of which the last k - 1 of each row are thrown away, and the forward
/// pass copies the kept ones out. Backward spreads dY over the same wide rows with zeros in the
/// thrown-away places, so they add nothing to dW, and their column gradients are exactly zero, so
/// folding whole runs back is exact too. The extra GEMM work is Wp / Wo - 1 (6% for a 3x3 window on
/// 32x32, 40% for LeNet's 5x5 on 14x14), against unfolding that was several times slower per value
/// than a plain copy because of its short rows.
extension Conv2d {
    /// The sizes of the wide computation for an input shape.
    struct WideGeometry {
        let base: ConvolutionGeometry
        let batch: Int
        var paddedHeight: Int { base.height + 2 * base.padding }
        var paddedWidth: Int { base.width + 2 * base.padding }
        var paddedPlane: Int { paddedHeight * paddedWidth }
        /// Wide positions per output plane: Ho rows of Wp.
        var widePlane: Int { base.outputHeight * paddedWidth }
        /// Values of the padded buffer, with room for the last window's overrun into nothing (and
        /// for the direct kernel's last run of 32 positions).
        var paddedCount: Int {
            base.channels * batch * paddedPlane + max(base.kernelWidth, DirectConvolution.tail)
        }
    }

    func wideGroupSize(_ w: WideGeometry) -> Int {
        let perSample = w.base.patchSize * w.widePlane * MemoryLayout<Float>.stride
        return max(1, min(w.batch, columnBudgetBytes / max(perSample, 1)))
    }

    /// Copies `rows` rows of `width` values between buffers whose rows are `from` and `to` apart.
    ///
    /// Padding, unpadding, compacting the wide output and spreading dY are all this copy with other
    /// strides.
    @inline(__always)
    private func copyRows(
        _ source: UnsafePointer<Float>, from sourceStride: Int, _ target: UnsafeMutablePointer<Float>,
        to targetStride: Int, rows: Int, width: Int
    ) {
        for row in 0..<rows { (target + row * targetStride).update(from: source + row * sourceStride, count: width) }
    }

    /// Copies the input into the interior of the zero-bordered padded buffer.
    func pad(_ input: Tensor, _ w: WideGeometry) -> Tensor {
        let padded = Tensor.reusing(paddedInput, shape: [w.paddedCount], role: .workspace)
        paddedInput = padded
        let (height, width, margin) = (w.base.height, w.base.width, w.base.padding)
        for plane in 0..<(w.base.channels * w.batch) {
            copyRows(
                input.data + plane * height * width, from: width,
                padded.data + plane * w.paddedPlane + margin * w.paddedWidth + margin, to: w.paddedWidth,
                rows: height, width: width)
        }
        return padded
    }

    /// Copies the interior of the padded input gradient into dX.
    func unpad(_ padded: Tensor, _ w: WideGeometry, into gradient: Tensor) {
        let (height, width, margin) = (w.base.height, w.base.width, w.base.padding)
        for plane in 0..<(w.base.channels * w.batch) {
            copyRows(
                padded.data + plane * w.paddedPlane + margin * w.paddedWidth + margin, from: w.paddedWidth,
                gradient.data + plane * height * width, to: width, rows: height, width: width)
        }
    }

    /// Calls `body` with the padded-plane offset and the column-matrix offset of every wide run of
    /// samples `first..<first+count`.
    @inline(__always)
    private func forEachWideRun(_ w: WideGeometry, first: Int, count: Int, _ body: (Int, Int) -> Void) {
        let k = kernelSize
        for channel in 0..<w.base.channels {
            for offset in 0..<(k * k) {
                let row = channel * k * k + offset
                let shift = (offset / k) * w.paddedWidth + offset % k
                for sample in 0..<count {
                    body(
                        (channel * w.batch + first + sample) * w.paddedPlane + shift,
                        (row * count + sample) * w.widePlane)
                }
            }
        }
    }

    /// Fills the wide column matrix of samples `first..<first+count`: one contiguous run per row.
    func unfoldWide(_ padded: Tensor, _ w: WideGeometry, first: Int, count: Int, into columns: Tensor) {
        forEachWideRun(w, first: first, count: count) { paddedOffset, columnOffset in
            (columns.data + columnOffset).update(from: padded.data + paddedOffset, count: w.widePlane)
        }
    }

    /// Adds a wide column gradient back into the padded input gradient, one run per row.
    func foldWide(_ columns: Tensor, _ w: WideGeometry, first: Int, count: Int, into padded: Tensor) {
        forEachWideRun(w, first: first, count: count) { paddedOffset, columnOffset in
            let (target, source) = (padded.data + paddedOffset, columns.data + columnOffset)
            for index in 0..<w.widePlane { target[index] += source[index] }
        }
    }

    /// Copies the kept positions of a group's wide output [out, count * widePlane] into the output.
    func compact(_ wide: Tensor, _ w: WideGeometry, first: Int, count: Int, into output: Tensor) {
        for channel in 0..<outputChannels {
            for sample in 0..<count {
                copyRows(
                    wide.data + (channel * count + sample) * w.widePlane, from: w.paddedWidth,
                    output.data + (channel * w.batch + first + sample) * w.base.outputPlane, to: w.base.outputWidth,
                    rows: w.base.outputHeight, width: w.base.outputWidth)
            }
        }
    }

    /// Spreads a group's rows of dY into wide rows with zeros at the thrown-away positions.
    func expand(_ gradient: Tensor, _ w: WideGeometry, first: Int, count: Int, into wide: Tensor) {
        wide.zero()
        for channel in 0..<outputChannels {
            for sample in 0..<count {
                copyRows(
                    gradient.data + (channel * w.batch + first + sample) * w.base.outputPlane, from: w.base.outputWidth,
                    wide.data + (channel * count + sample) * w.widePlane, to: w.paddedWidth,
                    rows: w.base.outputHeight, width: w.base.outputWidth)
            }
        }
    }
}
