/// Unfolds and folds convolution patches of channel-major activations ([C, N, H, W]).
///
/// The column matrix of samples `first..<first+count` has `patchSize` rows and `count *
/// outputPlane` columns; column `s * outputPlane + p` is output position `p` of sample `first + s`.
/// A convolution is then one GEMM, and its output lands directly in the channel-major layout.
///
/// Row (c, u, v) of a sample is its input plane c shifted by (u, v) and cut to the output grid, so
/// each row is built from whole runs: a block of zero lines where the shift leaves the image
/// vertically, and per line a zero margin, a copied run and a zero margin. The loops use wrapping
/// arithmetic because every index is bounded by the geometry computed once per call.
public enum Im2Col {
    /// The output rows and columns whose input lies inside the image, for one kernel offset.
    struct Span {
        var first: Int
        var end: Int

        /// Positions o in 0..<outputs with 0 <= o * stride - padding + offset < size.
        init(offset: Int, size: Int, outputs: Int, stride: Int, padding: Int) {
            let shift = padding - offset
            first = shift > 0 ? min(outputs, (shift + stride - 1) / stride) : 0
            let limit = size + shift
            end = limit > 0 ? min(outputs, (limit + stride - 1) / stride) : 0
            end = max(first, end)
        }
    }

    /// One (channel, kernel offset, sample) plane pair of the column matrix and the activations.
    struct PlanePair {
        /// Offset of the sample's input plane in the activations.
        var activation: Int
        /// Offset of the plane's slice in the column matrix.
        var column: Int
        var kernelRow: Int
        var kernelColumn: Int
        var rows: Span
        var columns: Span
    }

    /// Calls `body` for every plane pair of samples `first..<first+count`, in column-matrix order.
    @inline(__always)
    static func forEachPlane(
        batch: Int, first: Int, count: Int, geometry g: ConvolutionGeometry, _ body: (PlanePair) -> Void
    ) {
        let plane = g.outputPlane
        let rowLength = count &* plane
        for channel in 0..<g.channels {
            for kernelRow in 0..<g.kernelHeight {
                let rows = Span(
                    offset: kernelRow, size: g.height, outputs: g.outputHeight, stride: g.stride, padding: g.padding)
                for kernelColumn in 0..<g.kernelWidth {
                    let columns = Span(
                        offset: kernelColumn, size: g.width, outputs: g.outputWidth, stride: g.stride,
                        padding: g.padding)
                    let row = (channel &* g.kernelHeight &+ kernelRow) &* g.kernelWidth &+ kernelColumn
                    for sample in 0..<count {
                        body(
                            PlanePair(
                                activation: (channel &* batch &+ first &+ sample) &* g.inputPlane,
                                column: row &* rowLength &+ sample &* plane, kernelRow: kernelRow,
                                kernelColumn: kernelColumn, rows: rows, columns: columns))
                    }
                }
            }
        }
    }

    /// Fills `columns` with the patches of samples `first..<first+count` of a batch of `batch`.
    public static func unfold(
        _ input: UnsafePointer<Float>, batch: Int, first: Int, count: Int,
        geometry g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>
    ) {
        if isValidOnly(g) {
            unfoldValid(input, batch: batch, first: first, count: count, geometry: g, into: columns)
            return
        }
        forEachPlane(batch: batch, first: first, count: count, geometry: g) { pair in
            unfoldPlane(
                input + pair.activation, columns + pair.column, g, pair.kernelRow, pair.kernelColumn, pair.rows,
                pair.columns)
        }
    }

    @inline(__always)
    private static func unfoldPlane(
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
        _ kernelRow: Int, _ kernelColumn: Int, _ rows: Span, _ columns: Span
    ) {
        let width = g.outputWidth
        zero(target, count: rows.first &* width)
        let tail = rows.end &* width
        zero(target + tail, count: g.outputPlane &- tail)
        let run = columns.end &- columns.first
        let rightMargin = width &- columns.end
        var outputRow = rows.first
        var sourceLine =
            source + ((outputRow &* g.stride &- g.padding &+ kernelRow) &* g.width &- g.padding &+ kernelColumn)
        let sourceStep = g.stride &* g.width
        while outputRow < rows.end {
            let line = target + outputRow &* width
            if columns.first > 0 { zero(line, count: columns.first) }
            if g.stride == 1 && run >= 8 {
                copyOverlapping(sourceLine + columns.first, line + columns.first, count: run)
            } else if g.stride == 1 {
                copyRun(sourceLine + columns.first, line + columns.first, count: run)
            } else {
                var column = columns.first
                while column < columns.end {
                    line[column] = sourceLine[column &* g.stride]
                    column &+= 1
                }
            }
            if rightMargin > 0 { zero(line + columns.end, count: rightMargin) }
            sourceLine += sourceStep
            outputRow &+= 1
        }
    }

    /// Copies a run of at least eight values with eight-wide moves, the last one ending at the run's
    /// end and overlapping the one before: two moves for LeNet-5's rows of 10 instead of an eight-,
    /// a two-wide one and their branches.
    @inline(__always)
    private static func copyOverlapping(
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int
    ) {
        var i = 0
        while i &+ 8 < count {
            store(load(source + i), target + i)
            i &+= 8
        }
        store(load(source + (count &- 8)), target + (count &- 8))
    }

    /// Copies a run with eight-, four- and two-wide moves and at most one scalar one.
    @inline(__always)
    private static func copyRun(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            store(load(source + i), target + i)
            i &+= 8
        }
        if i &+ 4 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(
                of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            i &+= 4
        }
        if i &+ 2 <= count {
            UnsafeMutableRawPointer(target + i).storeBytes(
                of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD2<Float>.self), as: SIMD2<Float>.self)
            i &+= 2
        }
        if i < count { target[i] = source[i] }
    }

    @inline(__always)
    private static func zero(_ target: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i &+ 8 <= count {
            store(SIMD8(), target + i)
            i &+= 8
        }
        while i < count {
            target[i] = 0
            i &+= 1
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }

    /// Adds the patches in `columns` back into the input-shaped `gradient` (the adjoint of `unfold`).
    public static func fold(
        _ columns: UnsafePointer<Float>, batch: Int, first: Int, count: Int,
        geometry g: ConvolutionGeometry, into gradient: UnsafeMutablePointer<Float>
    ) {
        if isValidOnly(g) {
            foldValid(columns, batch: batch, first: first, count: count, geometry: g, into: gradient)
            return
        }
        forEachPlane(batch: batch, first: first, count: count, geometry: g) { pair in
            foldPlane(
                columns + pair.column, gradient + pair.activation, g, pair.kernelRow, pair.kernelColumn, pair.rows,
                pair.columns)
        }
    }

    @inline(__always)
    private static func foldPlane(
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ g: ConvolutionGeometry,
        _ kernelRow: Int, _ kernelColumn: Int, _ rows: Span, _ columns: Span
    ) {
        let run = columns.end &- columns.first
        var outputRow = rows.first
        while outputRow < rows.end {
            let line = source + outputRow &* g.outputWidth
            let inputRow = outputRow &* g.stride &- g.padding &+ kernelRow
            let targetLine = target + (inputRow &* g.width &- g.padding &+ kernelColumn)
            if g.stride == 1 {
                SparseRuns.add(line + columns.first, into: targetLine + columns.first, count: run)
            } else {
                var column = columns.first
                while column < columns.end {
                    targetLine[column &* g.stride] += line[column]
                    column &+= 1
                }
            }
            outputRow &+= 1
        }
    }
}
