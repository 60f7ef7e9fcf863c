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
    /// `tile` [planes][planeStride] into dX [Cin, N, H, W], or adds them to it (`adding`); each image
    /// position lies in one plane position, so the tiles together write each once.
    func mergeTile(
        _ tile: UnsafePointer<Float>, start: Int, count: Int, planeStride: Int,
        into gradient: UnsafeMutablePointer<Float>, adding: Bool = false
    ) {
        let (imagePlane, phases) = (batch * base.height * base.width, phaseRows * phaseColumns)
        // The phases of a channel one after another, while its dX rows are in L1.
        withPhaseRuns(from: start, to: start + count) { tables in
            for channel in 0..<base.channels {
                for phase in 0..<phases {
                    PhaseGeometry.transfer(
                        tables[phase], compact: gradient + channel * imagePlane,
                        wide: UnsafeMutablePointer(mutating: tile) + (channel * phases + phase) * planeStride,
                        step: base.stride, adding ? .addingToCompact : .toCompact)
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
        let outputPlane = batch * base.outputHeight * base.outputWidth
        withRuns(outputMap, from: start, to: start + count) { runs in
            for row in 0..<rows {
                PhaseGeometry.fill(
                    runs, from: gradient + row * outputPlane, into: tile + row * rowStride, count: count)
            }
        }
    }
}
