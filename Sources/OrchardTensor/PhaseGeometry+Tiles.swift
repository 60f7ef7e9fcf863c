/// How the tiled backward pass of `SparseConvolutionKernel` cuts the wide positions, and its buffers.
///
/// A tile is `length` consecutive wide positions. Its dY goes into the scratch [outputs][gradientStride]
/// (the gradient margin before the tile and the tile), its phase-plane gradients after it into
/// [planes][length]. With the tile of every phase plane the pass reads, they stay within `budget`
/// floats, so that they live in the L2 cache between the pass that fills them and the ones that read them.
struct PositionTiles {
    /// Positions per tile: a multiple of 64 (the products' register block), at least one block.
    let length: Int
    /// Values per row of a dY tile: the gradient margin and the tile.
    let gradientStride: Int
    /// Phase planes, each with a row of plane gradients per tile.
    let planes: Int

    /// Floats of one tile's buffers and the phase planes it reads: 1 MB, the L2 cache of the EPYC
    /// cores measured on.
    ///
    /// No pass reads all three at once (the dots read the planes and dY, the products dY and the
    /// plane gradients, the merge the plane gradients), and longer tiles spend less per row and
    /// entry: with 768 KB (ResNet-18's stride-1 layers: 1,024, 512, 256 and 128 positions instead
    /// of 1,344, 640, 320 and 128) the step took about 3% longer.
    static let budget = 262_144

    init(_ p: PhaseGeometry, outputs: Int, budget: Int = PositionTiles.budget) {
        // Per position: a phase value and a plane gradient per plane, a dY value per output.
        let perPosition = 2 * p.planes + outputs
        let fitting = max(64, budget / max(perPosition, 1) / 64 * 64)
        length = min(fitting, (p.wideLength + 63) / 64 * 64)
        gradientStride = p.gradientMargin + length
        planes = p.planes
    }

    /// Scratch values of a backward pass: the dY tile and, with dX, the plane gradients.
    func scratchCount(outputs: Int, inputGradient: Bool) -> Int {
        outputs * gradientStride + (inputGradient ? planes * length : 0)
    }

    /// Calls `body(start, run)` for each tile of the `wideLength` positions; runs are whole vectors.
    @inline(__always)
    func forEach(_ p: PhaseGeometry, _ body: (_ start: Int, _ run: Int) -> Void) {
        var start = 0
        while start < p.wideLength {
            let run = min(length, p.wideLength - start)
            body(start, run)
            start += run
        }
    }
}

extension PhaseGeometry {
    /// Calls `body(sample, y, x, position, count)` for each piece of one plane row among positions
    /// start..<end, clipped to the plane's 0..<planeLength: the divisions are per call, not per row.
    @inline(__always)
    func forEachSegment(from start: Int, to end: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
        let (first, last) = (max(start, 0), min(end, planeLength))
        guard first < last else { return }
        let (sample, within) = first.quotientAndRemainder(dividingBy: planeHeight * planeWidth)
        var (y, x) = within.quotientAndRemainder(dividingBy: planeWidth)
        var (position, currentSample) = (first, sample)
        while position < last {
            let count = min(planeWidth - x, last - position)
            body(currentSample, y, x, position, count)
            position += count
            x = 0
            y += 1
            if y == planeHeight { (y, currentSample) = (0, currentSample + 1) }
        }
    }

    /// The plane columns of phase column `b` that hold image columns: low..<high, and the image
    /// column of plane column `low`.
    @inline(__always)
    func interiorColumns(phase b: Int) -> (low: Int, high: Int, image: Int) {
        let (s, pad, width) = (base.stride, base.padding, base.width)
        let first = ((b - pad) % s + s) % s
        let low = (first + pad) / s
        return (low, first < width ? low + (width - 1 - first) / s + 1 : low, first)
    }

    /// Copies the image positions among start..<start + count of the phase-plane gradients
    /// `tile` [planes][planeStride] into dX [Cin, N, H, W]; each image position lies in one plane
    /// position, so the tiles together write each once.
    func mergeTile(
        _ tile: UnsafePointer<Float>, start: Int, count: Int, planeStride: Int,
        into gradient: UnsafeMutablePointer<Float>
    ) {
        let (s, pad, height, width) = (base.stride, base.padding, base.height, base.width)
        for channel in 0..<base.channels {
            for a in 0..<phaseRows {
                for b in 0..<phaseColumns {
                    let plane = (channel * phaseRows + a) * phaseColumns + b
                    let source = tile + plane * planeStride - start
                    let (low, high, image) = interiorColumns(phase: b)
                    let channelGradient = gradient + channel * batch * height * width + image
                    forEachSegment(from: start, to: start + count) { sample, y, x, position, run in
                        let row = y * s + a - pad
                        let (from, to) = (max(x, low), min(x + run, high))
                        guard row >= 0 && row < height && from < to else { return }
                        let target = channelGradient + (sample * height + row) * width + (from - low) * s
                        let line = source + position + (from - x)
                        if s == 1 {
                            SparseRuns.copy(line, target, count: to - from)
                        } else {
                            for index in 0..<(to - from) { target[index &* s] = line[index] }
                        }
                    }
                }
            }
        }
    }

    /// Writes wide positions start..<start + count (start may be negative) of dY [rows, N, Ho, Wo]
    /// into `tile` [rows][rowStride]: dY at the valid outputs, zeros everywhere else.
    func expandTile(
        _ gradient: UnsafePointer<Float>, rows: Int, start: Int, count: Int, into tile: UnsafeMutablePointer<Float>,
        rowStride: Int
    ) {
        let (height, width) = (base.outputHeight, base.outputWidth)
        let end = start + count
        for row in 0..<rows {
            let target = tile + row * rowStride - start
            let source = gradient + row * batch * height * width
            if start < 0 { (target + start).update(repeating: 0, count: min(-start, count)) }
            if end > planeLength {
                let from = max(start, planeLength)
                (target + from).update(repeating: 0, count: end - from)
            }
            forEachSegment(from: start, to: end) { sample, y, x, position, run in
                let line = target + position
                let valid = y < height ? max(0, min(run, width - x)) : 0
                if valid > 0 { SparseRuns.copy(source + (sample * height + y) * width + x, line, count: valid) }
                for index in valid..<run { line[index] = 0 }
            }
        }
    }
}
