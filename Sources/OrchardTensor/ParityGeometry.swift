/// The layout of a stride-1 convolution fused with a 2x2 max pool of stride 2: every activation
/// split by the parity of its row and column.
///
/// The padded input (Hp x Wp) of each channel is split into four parity planes (a, b), plane (a, b)
/// holding padded rows a, a + 2, ... and columns b, b + 2, ... of every sample: sample n's (r, c)
/// at n x S + r x Wh + c, with Wh = ceil(Wp / 2), Hh = ceil(Hp / 2) and S = Hh x Wh. The output is
/// split the same way by the position (dy, dx) of each value in its pooling window: output phase
/// q = 2 dy + dx holds output (2y + dy, 2x + dx) at n x S + y x Wh + x, one plane of windows. Its
/// weight entry (ci, ky, kx) reads input plane (ci, (dy + ky) % 2, (dx + kx) % 2) at the shift
/// ((dy + ky) / 2) x Wh + (dx + kx) / 2, so the convolution is still one axpy per kept weight and
/// output phase, over runs of the whole batch. The four phases of a window then sit at one index in
/// four planes: the max pool is a vector maximum of four runs, and its backward pass four vector
/// selects, where the interleaved layout needed shuffles and window rows as narrow as five values.
///
/// A valid window (y < Ho / 2, x < Wo / 2) reads only its own sample's block, as
/// Ho / 2 + kh / 2 <= Hh. Every plane is `planeLength` = N x S long without rounding; runs are
/// whole vectors and read past a plane into the next, or into the slack after the last, only for
/// positions that are no valid window.
struct ParityGeometry {
    let base: ConvolutionGeometry
    let batch: Int
    /// Hh and Wh: the padded input's rows and columns over two, rounded up.
    let halfHeight: Int
    let halfWidth: Int
    /// Values of one sample in one plane: Hh x Wh.
    let sampleLength: Int
    /// N x S: the stride of the input planes.
    let planeLength: Int
    /// `planeLength` rounded up to whole vectors: the length of a batch-long run.
    let runLength: Int
    /// Input planes: Cin x 4.
    let planes: Int
    /// The largest shift of a kernel offset in a plane: (kh / 2) x Wh + kw / 2.
    let longestShift: Int
    /// Values of the input's parity buffer, the slack for the last runs included.
    let bufferCount: Int
    /// The pooled output's rows and columns: Ho / 2 and Wo / 2.
    let pooledHeight: Int
    let pooledWidth: Int

    /// The layout for `g` and `batch`, or nil unless the stride is 1.
    init?(_ g: ConvolutionGeometry, batch: Int) {
        guard g.stride == 1 else { return nil }
        base = g
        self.batch = batch
        halfHeight = (g.height + 2 * g.padding + 1) / 2
        halfWidth = (g.width + 2 * g.padding + 1) / 2
        sampleLength = halfHeight * halfWidth
        planeLength = batch * sampleLength
        runLength = SparseRuns.roundedUp(planeLength)
        planes = g.channels * 4
        longestShift = g.kernelHeight / 2 * halfWidth + g.kernelWidth / 2
        bufferCount = planes * planeLength + longestShift + SparseRuns.lanes
        pooledHeight = g.outputHeight / 2
        pooledWidth = g.outputWidth / 2
        precondition(bufferCount <= Int(Int32.max), "SparseConvolutionKernel parity buffer exceeds Int32 offsets")
    }

    /// Where output phase `phase` of weight column (ci, ky, kx) starts reading the parity buffer.
    func offset(ofColumn column: Int, phase: Int) -> Int32 {
        let (kh, kw) = (base.kernelHeight, base.kernelWidth)
        let (channel, within) = column.quotientAndRemainder(dividingBy: kh * kw)
        let (row, col) = (within / kw + phase / 2, within % kw + phase % 2)
        let plane = channel * 4 + row % 2 * 2 + col % 2
        return Int32(plane * planeLength + row / 2 * halfWidth + col / 2)
    }

    /// Whole samples per tile: as many as keep the tile's runs of every input plane and of the four
    /// output phases of every row in about 256 KB, and at least one.
    func samplesPerTile(rows: Int) -> Int {
        min(batch, max(1, SparseRuns.tileLength(sourceRuns: planes + 4 * rows) / sampleLength))
    }

    /// Calls `body(first, count)` for consecutive tiles of `samplesPerTile(rows:)` samples.
    func forEachTile(rows: Int, _ body: (Int, Int) -> Void) {
        var first = 0
        while first < batch {
            let count = min(samplesPerTile(rows: rows), batch - first)
            body(first, count)
            first += count
        }
    }

    /// The stride of one output phase's row in a tile buffer [phase][row][stride].
    func tileStride(rows: Int) -> Int { SparseRuns.roundedUp(samplesPerTile(rows: rows) * sampleLength) }

    /// Winner bytes per output row: a batch-long run and a vector of slack (tiles start unaligned).
    var winnerStride: Int { runLength + SparseRuns.lanes }

    /// Int32 words of the winners of `rows` rows, followed by a tile's bytes of `invalidMask`.
    func winnerWords(rows: Int) -> Int { (rows * winnerStride + tileStride(rows: rows) + 3) / 4 }

    /// Zeros in front of each row of the four phases of dY, which the input gradient reads at
    /// backward shifts: `longestShift` rounded up to whole vectors.
    var gradientMargin: Int { SparseRuns.roundedUp(longestShift) }

    /// The stride of the rows of the four phases of dY over the whole batch: margin and run.
    var gradientStride: Int { gradientMargin + runLength }

    /// Writes one byte per position of a tile: 0xFF where the position is no window (a column or
    /// row of a sample's block past the pooled output), else 0.
    func writeInvalidMask(_ mask: UnsafeMutablePointer<UInt8>, rows: Int) {
        let count = tileStride(rows: rows)
        mask.update(repeating: 0xFF, count: count)
        var block = 0
        while block < count {
            for y in 0..<min(pooledHeight, (count - block) / halfWidth) {
                let row = block + y * halfWidth
                (mask + row).update(repeating: 0, count: min(pooledWidth, count - row))
            }
            block += sampleLength
        }
    }

    /// Calls `body(row, even, odd, count)` for every input row: image values `row + t` in
    /// 0..<count, the even t at `even + t / 2` and the odd ones at `odd + t / 2` of the buffer.
    @inline(__always)
    private func forEachRow(planeStride: Int, _ body: (Int, Int, Int, Int) -> Void) {
        let (pad, height, width) = (base.padding, base.height, base.width)
        for channel in 0..<base.channels {
            for sample in 0..<batch {
                for imageRow in 0..<height {
                    let row = imageRow + pad
                    let plane = (channel * 4 + row % 2 * 2) * planeStride + sample * sampleLength + row / 2 * halfWidth
                    let even = plane + pad % 2 * planeStride + pad / 2
                    let odd = plane + (1 - pad % 2) * planeStride + (pad + 1) / 2
                    body(((channel * batch + sample) * height + imageRow) * width, even, odd, width)
                }
            }
        }
    }

    /// Copies the input [Cin, N, H, W] into the interior of the parity planes.
    func split(_ input: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) {
        forEachRow(planeStride: planeLength) { row, even, odd, count in
            ParityRows.deinterleave(input + row, buffer + even, buffer + odd, count: count)
        }
    }

    /// Copies the interior of the parity planes' gradients, planes `runLength` apart, into dX
    /// [Cin, N, H, W] (overwritten).
    func merge(_ buffer: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>) {
        forEachRow(planeStride: runLength) { row, even, odd, count in
            ParityRows.interleave(buffer + even, buffer + odd, gradient + row, count: count)
        }
    }

    /// Pools a tile of output phases [4][rows][rowStride], the first sample's block at index 0, for
    /// `samples`: adds the bias, writes each window's maximum after the ReLU into phase 0 of the
    /// tile and its winner (`SparseConvolutionKernel.forwardPooled`) into `winners`
    /// [rows][winnerStride], then copies the valid windows into `output` [rows, N, Ho / 2, Wo / 2].
    func pool(
        _ tile: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int, samples: Range<Int>,
        bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>, winners: UnsafeMutableRawPointer
    ) {
        let run = SparseRuns.roundedUp(samples.count * sampleLength)
        let phaseStride = rows * rowStride
        let invalid = UnsafeRawPointer(winners + rows * winnerStride)
        for row in 0..<rows {
            let line = tile + row * rowStride
            let codes = winners + row * winnerStride + samples.lowerBound * sampleLength
            ParityRows.poolRun(
                line, phaseStride: phaseStride, shift: bias?[row] ?? 0, length: run, codes: codes, invalid: invalid)
            for sample in samples {
                let block = line + (sample - samples.lowerBound) * sampleLength
                let target = output + (row * batch + sample) * pooledHeight * pooledWidth
                for y in 0..<pooledHeight {
                    SparseRuns.copy(block + y * halfWidth, target + y * pooledWidth, count: pooledWidth)
                }
            }
        }
    }

    /// Spreads the pooled dY [rows, N, Ho / 2, Wo / 2] of `samples` into the four output phases of a tile.
    ///
    /// The tile is [4][rows][rowStride]. Each window's value goes to its winner's phase, zeros
    /// elsewhere, in every position of the tile's runs (positions that are no window have the
    /// winner 4, so they need no zeros first). With `sums`, writes (or with `accumulate`,
    /// adds) each row's sum of the gradient that passed the ReLU: the bias gradient.
    func scatter(
        _ gradient: UnsafePointer<Float>, winners: UnsafeRawPointer, rows: Int, samples: Range<Int>,
        into tile: UnsafeMutablePointer<Float>, rowStride: Int, sums: UnsafeMutablePointer<Float>?,
        accumulate: Bool
    ) {
        let count = samples.count * sampleLength
        let run = SparseRuns.roundedUp(count)
        let phaseStride = rows * rowStride
        for row in 0..<rows {
            // Phase 3 first holds dY in this layout; the rounding tail, whose winners may be a
            // later tile's, zeros.
            let line = tile + 3 * phaseStride + row * rowStride
            for sample in samples {
                let block = line + (sample - samples.lowerBound) * sampleLength
                let source = gradient + (row * batch + sample) * pooledHeight * pooledWidth
                for y in 0..<pooledHeight {
                    SparseRuns.copy(source + y * pooledWidth, block + y * halfWidth, count: pooledWidth)
                }
            }
            for position in count..<run { line[position] = 0 }
            let codes = winners + row * winnerStride + samples.lowerBound * sampleLength
            let sum = ParityRows.selectRun(
                tile + row * rowStride, phaseStride: phaseStride, length: run, codes: codes)
            if let sums { sums[row] = accumulate ? sums[row] + sum : sum }
        }
    }
}
