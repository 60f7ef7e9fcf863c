import Testing

@testable import OrchardTensor

/// Checks the layout copies of the sparse convolution value for value against their definitions,
/// written from the `PhaseGeometry` fields: rows of 1 to 33 values (the 4-, 8- and 16-wide
/// vector pieces and their tails), strides 1, 2 and 3, one phase or several, batch 1 or more, and
/// tiles that start and end anywhere in a row.
@Suite struct PhaseGeometryCopyTests {
    typealias Case = SparseConvolutionKernelTests.Case

    /// (kernel, stride, padding, height, width, batch): rows of 4, 8, 33, 1, 5 and 17 values at
    /// stride 1; of 16, 9, 8, 6 and 5 (the vector paths' bounds), 9 with one phase and 11 (no
    /// padding) at stride 2; a stride of 3.
    static let cases = [
        (3, 1, 1, 4, 4, 3), (3, 1, 1, 8, 8, 2), (3, 1, 1, 5, 33, 1), (3, 1, 1, 3, 1, 2),
        (5, 1, 2, 7, 5, 3), (1, 1, 0, 6, 17, 1), (3, 2, 1, 6, 32, 2), (3, 2, 1, 5, 18, 1),
        (3, 2, 1, 8, 16, 3), (3, 2, 1, 5, 11, 2), (1, 2, 0, 9, 17, 2), (3, 2, 0, 7, 21, 1),
        (5, 3, 2, 11, 13, 2),
    ].map { Case(kernel: $0.0, stride: $0.1, padding: $0.2, height: $0.3, width: $0.4, batch: $0.5) }

    /// Tile lengths: one tile of everything, tiles of whole vectors, and tiles that split rows anywhere.
    static let tiles = [Int.max, 64, 13]

    /// The image value phase (a, b) of a channel and sample holds at plane position (row, column), if any.
    private static func imageIndex(
        _ p: PhaseGeometry, channel: Int, phase: (Int, Int), sample: Int, row: Int, column: Int
    )
        -> Int?
    {
        let g = p.base
        let (y, x) = (row * g.stride + phase.0 - g.padding, column * g.stride + phase.1 - g.padding)
        guard y >= 0 && y < g.height && x >= 0 && x < g.width else { return nil }
        return ((channel * p.batch + sample) * g.height + y) * g.width + x
    }

    /// Calls `body(plane, position, index)` for every plane position that holds an image value.
    private static func forEachImagePosition(_ p: PhaseGeometry, _ body: (Int, Int, Int) -> Void) {
        for channel in 0..<p.base.channels {
            for a in 0..<p.phaseRows {
                for b in 0..<p.phaseColumns {
                    let plane = (channel * p.phaseRows + a) * p.phaseColumns + b
                    for sample in 0..<p.batch {
                        for row in 0..<p.planeHeight {
                            for column in 0..<p.planeWidth {
                                guard
                                    let index = imageIndex(
                                        p, channel: channel, phase: (a, b), sample: sample, row: row, column: column)
                                else { continue }
                                let position = (sample * p.planeHeight + row) * p.planeWidth + column
                                body(plane, position, index)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The output index of a wide position, if it holds a valid output.
    private static func outputIndex(_ p: PhaseGeometry, row: Int, position: Int) -> Int? {
        guard position >= 0 && position < p.planeLength else { return nil }
        let (sample, within) = position.quotientAndRemainder(dividingBy: p.planeHeight * p.planeWidth)
        let (y, x) = within.quotientAndRemainder(dividingBy: p.planeWidth)
        let (height, width) = (p.base.outputHeight, p.base.outputWidth)
        guard y < height && x < width else { return nil }
        return ((row * p.batch + sample) * height + y) * width + x
    }

    /// Expects the values bit for bit (a NaN left unwritten counts as a miss), naming the first misses.
    private static func expectSame(
        _ actual: [Float], _ expected: [Float], _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let misses = (0..<min(actual.count, expected.count)).filter { actual[$0].bitPattern != expected[$0].bitPattern }
        #expect(actual.count == expected.count, "\(what): count", sourceLocation: sourceLocation)
        #expect(
            misses.isEmpty, "\(what): \(misses.count) values differ, first at \(misses.prefix(4))",
            sourceLocation: sourceLocation)
    }

    private static func values(_ count: Int, _ purpose: String) -> [Float] {
        SparseFixture.values(count, seed: 5, purpose: purpose)
    }

    @Test(arguments: cases)
    func splitPlacesTheImageAndKeepsThePaddingZero(shape: Case) {
        let p = PhaseGeometry(shape.geometry(channels: 2), batch: shape.batch)
        let input = Self.values(p.base.channels * p.batch * p.base.inputPlane, "input")
        var expected = [Float](repeating: 0, count: p.bufferCount)
        Self.forEachImagePosition(p) { plane, position, index in
            expected[plane * p.wideLength + position] = input[index]
        }
        var phases = [Float](repeating: 0, count: p.bufferCount)
        input.withUnsafeBufferPointer { source in
            phases.withUnsafeMutableBufferPointer { p.split(source.baseAddress!, into: $0.baseAddress!) }
        }
        Self.expectSame(phases, expected)
    }

    @Test(arguments: cases)
    func mergeAndMergeTileWriteEveryInputOnce(shape: Case) {
        let p = PhaseGeometry(shape.geometry(channels: 2), batch: shape.batch)
        let planes = Self.values(p.planes * p.wideLength, "planes")
        let count = p.base.channels * p.batch * p.base.inputPlane
        var expected = [Float](repeating: 0, count: count)
        Self.forEachImagePosition(p) { plane, position, index in
            expected[index] = planes[plane * p.wideLength + position]
        }
        var merged = [Float](repeating: .nan, count: count)
        planes.withUnsafeBufferPointer { source in
            merged.withUnsafeMutableBufferPointer { p.merge(source.baseAddress!, into: $0.baseAddress!) }
        }
        Self.expectSame(merged, expected)
        let covered = p.phaseRows == p.base.stride && p.phaseColumns == p.base.stride
        for length in Self.tiles.map({ min($0, p.wideLength) }) {
            var tiled = [Float](repeating: covered ? .nan : 0, count: count)
            Self.mergeTiles(p, planes, length: length, into: &tiled, adding: false)
            Self.expectSame(tiled, expected, "tiles of \(length)")
        }
    }

    /// `mergeTile` over all the wide positions, `length` at a time, from planes [planes][wideLength].
    private static func mergeTiles(
        _ p: PhaseGeometry, _ planes: [Float], length: Int, into gradient: inout [Float], adding: Bool
    ) {
        for start in stride(from: 0, to: p.wideLength, by: length) {
            let run = min(length, p.wideLength - start)
            // The tile's plane rows, `length` apart.
            var tile = [Float](repeating: .nan, count: p.planes * length)
            for plane in 0..<p.planes {
                for index in 0..<run { tile[plane * length + index] = planes[plane * p.wideLength + start + index] }
            }
            tile.withUnsafeBufferPointer { source in
                gradient.withUnsafeMutableBufferPointer {
                    p.mergeTile(
                        source.baseAddress!, start: start, count: run, planeStride: length, into: $0.baseAddress!,
                        adding: adding)
                }
            }
        }
    }

    /// `mergeTile(adding:)` adds each image position's plane gradient into dX once, and leaves
    /// positions no phase reads as they were: what a residual block's second path does.
    @Test(arguments: cases)
    func mergeTileAddsEveryInputOnce(shape: Case) {
        let p = PhaseGeometry(shape.geometry(channels: 2), batch: shape.batch)
        let planes = Self.values(p.planes * p.wideLength, "planes")
        let count = p.base.channels * p.batch * p.base.inputPlane
        let before = Self.values(count, "dX")
        var expected = before
        Self.forEachImagePosition(p) { plane, position, index in
            expected[index] = before[index] + planes[plane * p.wideLength + position]
        }
        for length in Self.tiles.map({ min($0, p.wideLength) }) {
            var tiled = before
            Self.mergeTiles(p, planes, length: length, into: &tiled, adding: true)
            Self.expectSame(tiled, expected, "tiles of \(length)")
        }
    }

    @Test(arguments: cases)
    func compactCopiesTheValidOutputs(shape: Case) {
        let p = PhaseGeometry(shape.geometry(channels: 2), batch: shape.batch)
        let rows = 3
        let wide = Self.values(rows * p.wideLength, "wide")
        let count = rows * p.batch * p.base.outputHeight * p.base.outputWidth
        var expected = [Float](repeating: .nan, count: count)
        for row in 0..<rows {
            for position in 0..<p.wideLength {
                if let index = Self.outputIndex(p, row: row, position: position) {
                    expected[index] = wide[row * p.wideLength + position]
                }
            }
        }
        for length in Self.tiles.map({ min($0, p.wideLength) }) {
            var output = [Float](repeating: .nan, count: count)
            for start in stride(from: 0, to: p.wideLength, by: length) {
                let run = min(length, p.wideLength - start)
                var tile = [Float](repeating: .nan, count: rows * length)
                for row in 0..<rows {
                    for index in 0..<run { tile[row * length + index] = wide[row * p.wideLength + start + index] }
                }
                tile.withUnsafeBufferPointer { source in
                    output.withUnsafeMutableBufferPointer {
                        p.compact(
                            source.baseAddress!, rows: rows, rowStride: length, start: start, count: run,
                            into: $0.baseAddress!)
                    }
                }
            }
            Self.expectSame(output, expected, "tiles of \(length)")
        }
    }

    @Test(arguments: cases)
    func expandTileAndZeroInvalidSpreadTheOutputs(shape: Case) {
        let p = PhaseGeometry(shape.geometry(channels: 2), batch: shape.batch)
        let rows = 3
        let gradient = Self.values(rows * p.batch * p.base.outputHeight * p.base.outputWidth, "dY")
        // Positions from the gradient margin before the plane to the end of its vectors.
        let (first, end) = (-p.gradientMargin, p.wideLength)
        func expected(_ row: Int, _ position: Int) -> Float {
            Self.outputIndex(p, row: row, position: position).map { gradient[$0] } ?? 0
        }
        for length in Self.tiles.map({ min($0, end - first) }) {
            for start in stride(from: first, to: end, by: length) {
                let run = min(length, end - start)
                var tile = [Float](repeating: .nan, count: rows * (length + 1))
                gradient.withUnsafeBufferPointer { source in
                    tile.withUnsafeMutableBufferPointer {
                        p.expandTile(
                            source.baseAddress!, rows: rows, start: start, count: run, into: $0.baseAddress!,
                            rowStride: length + 1)
                    }
                }
                let written = (0..<rows).flatMap { row in (0..<run).map { tile[row * (length + 1) + $0] } }
                let reference = (0..<rows).flatMap { row in (0..<run).map { expected(row, start + $0) } }
                Self.expectSame(written, reference, "tiles of \(length) from \(start)")
                // The value after each row's run is the tile's own, untouched.
                #expect((0..<rows).allSatisfy { tile[$0 * (length + 1) + run].isNaN }, "tiles of \(length)")
            }
        }
        var wide = [Float](repeating: 7, count: rows * p.gradientStride)
        wide.withUnsafeMutableBufferPointer { p.zeroInvalid($0.baseAddress!, rows: rows) }
        let zeroed = (0..<rows).flatMap { row in
            (first..<end).map { Self.outputIndex(p, row: row, position: $0) == nil ? Float(0) : 7 }
        }
        Self.expectSame(wide, zeroed)
    }
}
