/// The phase-plane and wide layouts of `SparseConvolutionKernel` for one input shape and batch.
///
/// With stride s and padding pad, the padded input (Hp = H + 2 pad by Wp = W + 2 pad) is split into
/// phases (a, b): phase (a, b) of channel ci and sample n is the Hq x Wq plane of padded rows
/// a, a + s, ... and columns b, b + s, ..., Hq = ceil(Hp / s) and Wq = ceil(Wp / s). Only phases
/// some kernel offset reads are kept: a < min(kh, s) and b < min(kw, s), so a strided 1x1 window
/// keeps one phase instead of four. The buffer is [Cin][phase][N x Hq x Wq], then zero slack for
/// the runs that start near the end. The wide layout of the output is [Cout][N x Hq x Wq rounded up
/// to whole vectors]; output (y, x) of sample n is at n x Hq x Wq + y x Wq + x.
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
    /// `planeLength` rounded up to whole vectors: the run length of every axpy and dot.
    let wideLength: Int
    /// Values of the phase buffer, slack included.
    let bufferCount: Int
    /// Positions per tile of the sparse loops.
    let tile: Int

    init(_ g: ConvolutionGeometry, batch: Int) {
        base = g
        self.batch = batch
        let s = g.stride
        phaseRows = min(g.kernelHeight, s)
        phaseColumns = min(g.kernelWidth, s)
        planeHeight = (g.height + 2 * g.padding + s - 1) / s
        planeWidth = (g.width + 2 * g.padding + s - 1) / s
        planeLength = batch * planeHeight * planeWidth
        wideLength = SparseRuns.roundedUp(planeLength)
        let planes = g.channels * phaseRows * phaseColumns
        let longestShift = (g.kernelHeight - 1) / s * planeWidth + (g.kernelWidth - 1) / s
        // The last plane's runs start up to `longestShift` in and are `wideLength` long.
        bufferCount = planes * planeLength + longestShift + wideLength - planeLength
        precondition(bufferCount <= Int(Int32.max), "SparseConvolutionKernel phase buffer exceeds Int32 offsets")
        tile = SparseRuns.tileLength(sourceRuns: planes)
    }

    /// Writes, for each weight column (ci, ky, kx), where its runs start in the phase buffer.
    func fillColumnOffsets(_ table: UnsafeMutablePointer<Int32>) {
        let (s, kh, kw) = (base.stride, base.kernelHeight, base.kernelWidth)
        for channel in 0..<base.channels {
            for row in 0..<kh {
                for column in 0..<kw {
                    let phase = (channel * phaseRows + row % s) * phaseColumns + column % s
                    let offset = phase * planeLength + row / s * planeWidth + column / s
                    table[(channel * kh + row) * kw + column] = Int32(offset)
                }
            }
        }
    }

    /// Calls `body(input, plane, count)` for every run of one image row in one phase: input values
    /// `input + t * stride` pair with phase-buffer values `plane + t`, t in 0..<count.
    @inline(__always)
    private func forEachRun(_ body: (Int, Int, Int) -> Void) {
        let (s, pad, height, width) = (base.stride, base.padding, base.height, base.width)
        let samplePlane = planeHeight * planeWidth
        for channel in 0..<base.channels {
            for sample in 0..<batch {
                for imageRow in 0..<height {
                    let (row, a) = (imageRow + pad).quotientAndRemainder(dividingBy: s)
                    if a >= phaseRows { continue }
                    let input = ((channel * batch + sample) * height + imageRow) * width
                    for b in 0..<phaseColumns {
                        // The first image column w with (w + pad) % s == b.
                        let first = ((b - pad) % s + s) % s
                        if first >= width { continue }
                        let phase = (channel * phaseRows + a) * phaseColumns + b
                        let plane =
                            phase * planeLength + sample * samplePlane + row * planeWidth + (first + pad) / s
                        body(input + first, plane, (width - 1 - first) / s + 1)
                    }
                }
            }
        }
    }

    /// Copies the input [Cin, N, H, W] into the interior of the phase planes.
    func split(_ input: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>) {
        let s = base.stride
        forEachRun { from, to, count in
            if s == 1 {
                (phases + to).update(from: input + from, count: count)
            } else {
                let (source, target) = (input + from, phases + to)
                for t in 0..<count { target[t] = source[t &* s] }
            }
        }
    }

    /// Copies the interior of the phase-plane gradients into dX [Cin, N, H, W] (overwritten).
    func merge(_ planes: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) {
        let s = base.stride
        if phaseRows < s || phaseColumns < s {
            // Inputs in phases no kernel offset reads get no gradient and no run.
            gradient.update(repeating: 0, count: base.channels * batch * base.inputPlane)
        }
        forEachRun { to, from, count in
            if s == 1 {
                (gradient + to).update(from: planes + from, count: count)
            } else {
                let (source, target) = (planes + from, gradient + to)
                for t in 0..<count { target[t &* s] = source[t] }
            }
        }
    }

    /// Copies the valid outputs of a wide [rows][wideLength] buffer into [rows, N, Ho, Wo].
    func compact(_ wide: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        forEachOutputRow(rows: rows) { wideOffset, outputOffset, width in
            (output + outputOffset).update(from: wide + wideOffset, count: width)
        }
    }

    /// Copies [rows, N, Ho, Wo] into the valid positions of a wide [rows][wideLength] buffer.
    func expand(_ gradient: UnsafePointer<Float>, rows: Int, into wide: UnsafeMutablePointer<Float>) {
        forEachOutputRow(rows: rows) { wideOffset, outputOffset, width in
            (wide + wideOffset).update(from: gradient + outputOffset, count: width)
        }
    }

    @inline(__always)
    private func forEachOutputRow(rows: Int, _ body: (Int, Int, Int) -> Void) {
        let (height, width) = (base.outputHeight, base.outputWidth)
        let samplePlane = planeHeight * planeWidth
        for row in 0..<rows {
            for sample in 0..<batch {
                let wide = row * wideLength + sample * samplePlane
                let output = (row * batch + sample) * height * width
                for y in 0..<height { body(wide + y * planeWidth, output + y * width, width) }
            }
        }
    }
}
