/// The phase-plane and wide layouts of `SparseConvolutionKernel` for one input shape and batch.
///
/// With stride s and padding pad, the padded input (Hp = H + 2 pad by Wp = W + 2 pad) is split into
/// phases (a, b): phase (a, b) of channel ci and sample n is the Hq x Wq plane of padded rows
/// a, a + s, ... and columns b, b + s, ..., Hq = ceil(Hp / s) and Wq = ceil(Wp / s). Only phases
/// some kernel offset reads are kept: a < min(kh, s) and b < min(kw, s), so a strided 1x1 window
/// keeps one phase instead of four. Every plane holds N x Hq x Wq values (sample n's (r, c) at
/// n x Hq x Wq + r x Wq + c) and is `wideLength` long, that count and a zero tail rounded up to
/// whole vectors; the buffer is [Cin][phase][wideLength], then zero slack for the runs that start
/// near the end.
///
/// At stride 1 neighbours share their padding (`sharesPadding`): Hq = max(H + pad, Ho) and
/// Wq = max(W + pad, Wo), the image at (pad, pad) of each block. A window reaching past a row's end
/// reads the next row's left padding, one reaching below a sample reads the next sample's top
/// padding, and below the last sample lies the plane's zero tail (pad x Wq + pad values). ResNet's
/// 3x3 windows then compute 5x5 positions per 4x4 sample instead of 6x6, 9x9 per 8x8 instead of
/// 10x10: the products, the copies and the saved planes shrink by the same factor. The
/// output is computed in the same wide layout, [Cout][wideLength], with output (y, x) of sample n
/// at n x Hq x Wq + y x Wq + x. The wide dY has `gradientMargin` zeros in front of every row, so
/// that the input gradient can read each row at a backward shift.
///
/// Positions of the phase buffer outside the image, and of the wide dY outside the valid outputs,
/// are never written, so they keep the zeros of allocation for as long as the shape is reused.
struct PhaseGeometry {
    let base: ConvolutionGeometry
    let batch: Int
    /// Phase rows and columns kept: min(kh, s) and min(kw, s).
    let phaseRows: Int
    let phaseColumns: Int
    /// Hq and Wq.
    let planeHeight: Int
    let planeWidth: Int
    /// Values of one phase of one channel, all samples: N x Hq x Wq.
    let planeLength: Int
    /// `planeLength` rounded up to whole vectors: the stride of planes and the length of every run.
    let wideLength: Int
    /// Phase planes kept: Cin x min(kh, s) x min(kw, s).
    let planes: Int
    /// The largest kernel shift in a plane, (kh - 1) / s x Wq + (kw - 1) / s.
    let longestShift: Int
    /// Values of the phase buffer, slack included.
    let bufferCount: Int
    /// Zeros in front of each row of the wide dY: `longestShift` rounded up to whole vectors.
    let gradientMargin: Int
    /// Positions per tile of the sparse loops.
    let tile: Int

    /// Whether neighbouring rows and samples share their padding (stride 1 only; see above).
    let sharesPadding: Bool

    /// The layout for `batch` samples of `g`; `sharesPadding` asks for shared padding, which only
    /// stride 1 gives.
    init(_ g: ConvolutionGeometry, batch: Int, sharesPadding: Bool = true) {
        base = g
        self.batch = batch
        let s = g.stride
        phaseRows = min(g.kernelHeight, s)
        phaseColumns = min(g.kernelWidth, s)
        self.sharesPadding = sharesPadding && s == 1
        var tail = 0
        if self.sharesPadding {
            planeHeight = max(g.height + g.padding, g.outputHeight)
            planeWidth = max(g.width + g.padding, g.outputWidth)
            // What the last sample's windows read below it: the padding no next sample brings.
            tail = g.padding * planeWidth + g.padding
        } else {
            planeHeight = (g.height + 2 * g.padding + s - 1) / s
            planeWidth = (g.width + 2 * g.padding + s - 1) / s
        }
        planeLength = batch * planeHeight * planeWidth
        wideLength = SparseRuns.roundedUp(planeLength + tail)
        planes = g.channels * phaseRows * phaseColumns
        longestShift = (g.kernelHeight - 1) / s * planeWidth + (g.kernelWidth - 1) / s
        // The last plane's runs start up to `longestShift` in and are `wideLength` long; the
        // pooled forward's runs of whole samples may round up past that by less than a vector.
        bufferCount = planes * wideLength + longestShift + SparseRuns.lanes
        gradientMargin = SparseRuns.roundedUp(longestShift)
        precondition(bufferCount <= Int(Int32.max), "SparseConvolutionKernel phase buffer exceeds Int32 offsets")
        tile = SparseRuns.tileLength(sourceRuns: planes)
    }

    /// Values per row of the wide dY: the margin and `wideLength`.
    var gradientStride: Int { gradientMargin + wideLength }

    /// The phase plane a weight column (ci, ky, kx) reads, and its shift in that plane.
    func plane(ofColumn column: Int) -> (plane: Int, shift: Int) {
        let (s, kh, kw) = (base.stride, base.kernelHeight, base.kernelWidth)
        let (channel, offset) = column.quotientAndRemainder(dividingBy: kh * kw)
        let (row, col) = offset.quotientAndRemainder(dividingBy: kw)
        return ((channel * phaseRows + row % s) * phaseColumns + col % s, row / s * planeWidth + col / s)
    }

    /// Writes, for each weight column (ci, ky, kx), where its runs start in phase planes `planeStride` apart.
    func fillColumnOffsets(_ table: UnsafeMutablePointer<Int32>, planeStride: Int) {
        for column in 0..<base.patchSize {
            let (plane, shift) = plane(ofColumn: column)
            table[column] = Int32(plane * planeStride + shift)
        }
    }

    /// Copies the input [Cin, N, H, W] into the interior of the phase planes.
    func split(_ input: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>) {
        forEachSample { wide, runs, image in
            PhaseGeometry.transfer(
                runs, compact: UnsafeMutablePointer(mutating: input) + image, wide: phases + wide, step: base.stride,
                .toWide)
        }
    }

    /// Copies the interior of the phase-plane gradients into dX [Cin, N, H, W] (overwritten).
    func merge(_ planes: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) {
        let s = base.stride
        if phaseRows < s || phaseColumns < s {
            // Inputs in phases no kernel offset reads get no gradient and no run.
            gradient.update(repeating: 0, count: base.channels * batch * base.inputPlane)
        }
        forEachSample { wide, runs, image in
            PhaseGeometry.transfer(
                runs, compact: gradient + image, wide: UnsafeMutablePointer(mutating: planes) + wide, step: s,
                .toCompact)
        }
    }

    /// Calls `body(wide, runs, image)` for every sample of every channel and, within it, every
    /// phase (so that the sample's image stays in L1 across its phases): `wide` is the offset of
    /// the sample's block in the phase buffer, `image` that of its image in [Cin, N, H, W], and
    /// the runs place the image values in the block (positions from the block, compact offsets
    /// from the image).
    @inline(__always)
    private func forEachSample(_ body: (Int, UnsafeBufferPointer<LayoutRun>, Int) -> Void) {
        let (samplePlane, imagePlane) = (planeHeight * planeWidth, base.height * base.width)
        let phases = phaseRows * phaseColumns
        // Every sample's block holds the same runs: one table per phase of a sample's.
        withPhaseRuns(from: 0, to: samplePlane) { tables in
            for channel in 0..<base.channels {
                for sample in 0..<batch {
                    for phase in 0..<phases {
                        body(
                            (channel * phases + phase) * wideLength + sample * samplePlane, tables[phase],
                            (channel * batch + sample) * imagePlane)
                    }
                }
            }
        }
    }

    /// Copies the valid outputs among wide positions start..<start + count, held by a tile buffer
    /// [rows][rowStride] from index 0, into [rows, N, Ho, Wo].
    func compact(
        _ tile: UnsafePointer<Float>, rows: Int, rowStride: Int, start: Int, count: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let outputPlane = batch * base.outputHeight * base.outputWidth
        // Positions past `planeLength` only round the length up to whole vectors.
        withRuns(outputMap, from: start, to: start + count) { runs in
            for row in 0..<rows {
                PhaseGeometry.transfer(
                    runs, compact: output + row * outputPlane,
                    wide: UnsafeMutablePointer(mutating: tile) + row * rowStride,
                    step: 1, .toCompact)
            }
        }
    }

    /// The positions a pooled scatter writes for `rows` rows: what a shared wide-dY buffer must keep zero around.
    func gradientLayout(rows: Int) -> WideLayout {
        WideLayout(
            rows: rows, rowStride: gradientStride, margin: gradientMargin, batch: batch,
            samplePlane: planeHeight * planeWidth, planeWidth: planeWidth, outputHeight: base.outputHeight,
            outputWidth: base.outputWidth)
    }

    /// Writes zeros at every position of a wide dY [rows][gradientStride] but the valid outputs:
    /// the margins, the columns and rows past the outputs, and the tail rounding up to whole vectors.
    func zeroInvalid(_ wide: UnsafeMutablePointer<Float>, rows: Int) {
        withRuns(outputMap, from: 0, to: planeLength) { runs in
            for row in 0..<rows {
                let line = wide + row * gradientStride
                line.update(repeating: 0, count: gradientMargin)
                PhaseGeometry.fill(runs, from: nil, into: line + gradientMargin, count: wideLength)
            }
        }
    }
}
