import OrchardTensor

/// The stride-1 convolution computed over "wide" rows, as k * k GEMMs straight from a padded input.
///
/// The input is copied once into a zero-padded buffer of planes Hp x Wp. Output position (y, x) of
/// a k x k window then reads padded[(y + u) * Wp + x + v], so for a fixed offset (u, v) the
/// positions of a whole output plane, taken Wp to a row, are one contiguous run of the padded
/// plane, and the runs of every input channel are one plane apart: a matrix with a plain leading
/// dimension. So a sample's output is the sum over offsets of W[:, :, u, v] [out, in] times that
/// matrix [in, Ho * Wp]: k * k GEMMs into one sample's wide output, which stays in cache, with no
/// column matrix at all. The last k - 1 positions of each wide row are thrown away when the forward
/// pass copies the kept ones out. Backward spreads dY over the same wide rows with zeros in the
/// thrown-away places, so they add nothing to dW, and their input gradients are exactly zero, so
/// adding whole runs back into the padded gradient is exact too. The extra GEMM work is
/// Wp / Wo - 1 (6% for a 3x3 window on 32x32).
///
/// Against unfolding k * k copies of the input into columns and one GEMM with k * k * in rows, the
/// GEMMs with `in` rows ran a ResNet-20 forward convolution of 16 channels on 32x32 in 3.4 against
/// 5.3 ms at batch 64 (prototype): the copies cost more than the longer
/// products gain.
///
/// `ConvolutionPlan` takes this path for windows larger than one value with no more than 30% of
/// thrown-away positions: 3x3 windows on 8x8 images and larger, not LeNet-5's 5x5 on 14x14, which
/// ran slower over wide rows. ResNet-20's 8x8 stage (25%) took 1.5% less CPU time per step over
/// wide rows than with im2col. Stride 2 runs over phase planes, for 3x3 windows with at least 8
/// input channels and outputs at least 8 wide (ResNet-20's two downsampling convolutions). A
/// 3-channel stem keeps im2col, whose GEMM has 9 times the rows; ResNet-18's 8x8 -> 4x4
/// convolution (20 wide positions per sample and GEMM) took 460 against 387 ms a step over phase
/// planes.
extension Conv2d {
    /// The sizes of the wide computation for an input shape.
    ///
    /// With stride s > 1 the padded input is split into s * s phase planes by row and column parity
    /// (modulo s): window offset (u, v) of output (y, x) reads padded row s * y + u, which is row
    /// y + u / s of phase u % s, so every offset is again one contiguous run of one phase plane,
    /// and the stride-1 algebra below holds with the phase plane in place of the padded plane.
    /// The phases are laid out [phase, channel, sample, plane]. With stride 1 there is one phase,
    /// the padded plane itself.
    struct WideGeometry {
        let base: ConvolutionGeometry
        let batch: Int
        var stride: Int { base.stride }
        /// Rows and columns of a phase plane (of the padded plane when the stride is 1).
        var paddedHeight: Int { (base.height + 2 * base.padding + stride - 1) / stride }
        var paddedWidth: Int { (base.width + 2 * base.padding + stride - 1) / stride }
        var paddedPlane: Int { paddedHeight * paddedWidth }
        /// Values of one phase over all channels and samples.
        var phaseCount: Int { base.channels * batch * paddedPlane }
        /// Wide positions per output plane: Ho rows of Wp.
        var widePlane: Int { base.outputHeight * paddedWidth }
        /// Values of the padded buffer, with room for the last window's overrun into nothing (and
        /// for the direct kernel's last run of 32 positions).
        var paddedCount: Int {
            stride * stride * phaseCount + max(base.kernelWidth, DirectConvolution.tail)
        }
        /// Where padded value (row, column) of a plane lies: its phase plane and place in it.
        func place(row: Int, column: Int) -> Int {
            ((row % stride) * stride + column % stride) * phaseCount + (row / stride) * paddedWidth
                + column / stride
        }
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

    /// Copies the input into the interior of the zero-bordered buffer `padded` (its phase planes).
    func pad(_ input: Tensor, _ w: WideGeometry, into padded: Tensor) -> Tensor {
        let (height, width, margin) = (w.base.height, w.base.width, w.base.padding)
        for plane in 0..<(w.base.channels * w.batch) {
            if w.stride == 2 {
                scatter(input.data + plane * height * width, w, into: padded.data + plane * w.paddedPlane)
                continue
            }
            copyRows(
                input.data + plane * height * width, from: width,
                padded.data + plane * w.paddedPlane + margin * w.paddedWidth + margin, to: w.paddedWidth,
                rows: height, width: width)
        }
        return padded
    }

    /// Copies the interior of the padded input gradient (its phase planes) into dX.
    func unpad(_ padded: Tensor, _ w: WideGeometry, into gradient: Tensor) {
        let (height, width, margin) = (w.base.height, w.base.width, w.base.padding)
        for plane in 0..<(w.base.channels * w.batch) {
            if w.stride == 2 {
                gather(padded.data + plane * w.paddedPlane, w, into: gradient.data + plane * height * width)
                continue
            }
            copyRows(
                padded.data + plane * w.paddedPlane + margin * w.paddedWidth + margin, from: w.paddedWidth,
                gradient.data + plane * height * width, to: width, rows: height, width: width)
        }
    }

    /// Splits one input plane into the phase planes that start at `target` (stride 2).
    ///
    /// With the stride fixed at 2 the place of each value is shifts and masks; the general
    /// `place(row:column:)` divides by the stride for every value, which cost twice as much.
    private func scatter(_ source: UnsafePointer<Float>, _ w: WideGeometry, into target: UnsafeMutablePointer<Float>) {
        for row in 0..<w.base.height {
            let values = source + row * w.base.width
            let (even, odd) = phaseRows(row, w, target)
            for column in 0..<w.base.width {
                let padded = column + w.base.padding
                (padded & 1 == 0 ? even : odd)[padded >> 1] = values[column]
            }
        }
    }

    /// Merges the phase planes that start at `source` back into one plane (stride 2).
    private func gather(
        _ source: UnsafeMutablePointer<Float>, _ w: WideGeometry, into target: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<w.base.height {
            let values = target + row * w.base.width
            let (even, odd) = phaseRows(row, w, source)
            for column in 0..<w.base.width {
                let padded = column + w.base.padding
                values[column] = (padded & 1 == 0 ? even : odd)[padded >> 1]
            }
        }
    }

    /// The rows of the even-column and odd-column phases that input row `row` of a plane goes to.
    @inline(__always)
    private func phaseRows(_ row: Int, _ w: WideGeometry, _ planes: UnsafeMutablePointer<Float>)
        -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    {
        let padded = row + w.base.padding
        let even = planes + (padded & 1) * 2 * w.phaseCount + (padded >> 1) * w.paddedWidth
        return (even, even + w.phaseCount)
    }

    /// Copies the kept positions of one sample's wide output [out, widePlane] into the output.
    func compact(_ wide: Tensor, _ w: WideGeometry, sample: Int, into output: Tensor) {
        for channel in 0..<outputChannels {
            copyRows(
                wide.data + channel * w.widePlane, from: w.paddedWidth,
                output.data + (channel * w.batch + sample) * w.base.outputPlane, to: w.base.outputWidth,
                rows: w.base.outputHeight, width: w.base.outputWidth)
        }
    }

    /// Spreads one sample's rows of dY into wide rows; the thrown-away positions stay zero.
    func expand(_ gradient: Tensor, _ w: WideGeometry, sample: Int, into wide: Tensor) {
        for channel in 0..<outputChannels {
            copyRows(
                gradient.data + (channel * w.batch + sample) * w.base.outputPlane, from: w.base.outputWidth,
                wide.data + channel * w.widePlane, to: w.paddedWidth, rows: w.base.outputHeight,
                width: w.base.outputWidth)
        }
    }

    /// The weight [out, in, k, k] regrouped by window offset as [k * k, out, in].
    func regroupWeights(_ plan: ConvolutionPlan) -> Tensor {
        let area = kernelSize * kernelSize
        let regrouped = plan.tensor(.offsetWeights)
        let (source, target) = (weight.value.data, regrouped.data)
        for output in 0..<outputChannels {
            for channel in 0..<inputChannels {
                for offset in 0..<area {
                    target[(offset * outputChannels + output) * inputChannels + channel] =
                        source[(output * inputChannels + channel) * area + offset]
                }
            }
        }
        return regrouped
    }

    /// Where offset (u, v) = (offset / k, offset % k) of the window starts: in a padded plane, or
    /// in the phase planes of the first channel and sample.
    private func shift(_ offset: Int, _ w: WideGeometry) -> Int {
        w.place(row: offset / kernelSize, column: offset % kernelSize)
    }

    /// The wide forward pass: pad once, then per sample k * k GEMMs into its wide output and a compaction.
    func wideForward(_ input: Tensor, _ plan: ConvolutionPlan, into output: Tensor) {
        let (g, w) = (plan.geometry, plan.wide)
        let padded = pad(input, w, into: plan.tensor(.padded))
        let weights = regroupWeights(plan)
        let wide = plan.tensor(.wideOutput)
        let block = outputChannels * inputChannels
        for sample in 0..<w.batch {
            for offset in 0..<(kernelSize * kernelSize) {
                // wide[out, n] (+)= W_offset[out, in] padded[in, n + shift]
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: outputChannels, n: w.widePlane, k: inputChannels,
                    a: weights.data + offset * block, lda: inputChannels,
                    b: padded.data + sample * w.paddedPlane + shift(offset, w), ldb: w.batch * w.paddedPlane,
                    beta: offset == 0 ? 0 : 1, c: wide.data, ldc: w.widePlane)
            }
            compact(wide, w, sample: sample, into: output)
        }
        if let bias {
            let run = w.batch * g.outputPlane
            for channel in 0..<outputChannels {
                let rows = output.data + channel * run
                let value = bias.value[channel]
                for index in 0..<run { rows[index] += value }
            }
        }
    }

    /// The wide backward pass: per sample and offset, dW from the spread dY and the padded input,
    /// and dX added into the padded gradient.
    func wideBackward(_ outputGradient: Tensor, _ plan: ConvolutionPlan, into inputGradient: Tensor?) {
        guard let padded = plan.existing(.padded) else {
            preconditionFailure("Conv2d wide backward without its forward")
        }
        let w = plan.wide
        let weights = regroupWeights(plan)
        let wide = plan.tensor(.wideOutput)
        wide.zero()
        let weightGradient = plan.tensor(.offsetWeightGradient)
        var paddedGradient: Tensor?
        if inputGradient != nil {
            let buffer = plan.tensor(.paddedGradient)
            buffer.zero()
            paddedGradient = buffer
        }
        let (block, rows) = (outputChannels * inputChannels, w.batch * w.paddedPlane)
        for sample in 0..<w.batch {
            expand(outputGradient, w, sample: sample, into: wide)
            for offset in 0..<(kernelSize * kernelSize) {
                let at = sample * w.paddedPlane + shift(offset, w)
                // dW_offset[out, in] (+)= wide dY[out, n] padded[in, n + shift]^T
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: outputChannels, n: inputChannels, k: w.widePlane,
                    a: wide.data, lda: w.widePlane, b: padded.data + at, ldb: rows, beta: sample == 0 ? 0 : 1,
                    c: weightGradient.data + offset * block, ldc: inputChannels)
                guard let paddedGradient else { continue }
                // dX[in, n + shift] += W_offset^T[in, out] wide dY[out, n]
                BLAS.gemm(
                    transposeA: true, transposeB: false, m: inputChannels, n: w.widePlane, k: outputChannels,
                    a: weights.data + offset * block, lda: inputChannels, b: wide.data, ldb: w.widePlane, beta: 1,
                    c: paddedGradient.data + at, ldc: rows)
            }
        }
        ungroupWeightGradient(weightGradient)
        if let paddedGradient, let inputGradient { unpad(paddedGradient, w, into: inputGradient) }
    }

    /// Writes the gradient regrouped by offset, [k * k, out, in], into dW [out, in, k, k].
    private func ungroupWeightGradient(_ regrouped: Tensor) {
        let area = kernelSize * kernelSize
        let (source, target) = (regrouped.data, weight.gradient!.data)
        for output in 0..<outputChannels {
            for channel in 0..<inputChannels {
                for offset in 0..<area {
                    target[(output * inputChannels + channel) * area + offset] =
                        source[(offset * outputChannels + output) * inputChannels + channel]
                }
            }
        }
    }
}
