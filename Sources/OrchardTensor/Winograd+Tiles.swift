/// The tile transforms of `Winograd`, eight tiles of one tile row per SIMD8 lane set.
///
/// Tile t of a tile row reads padded columns 2t to 2t + 3, so one 16-wide load from column 2t and
/// one from 2t + 2 give, as their even and odd lanes, the four columns of eight tiles at once. The
/// output transform writes its two columns per tile back interleaved in the same way. A C
/// prototype that transformed one tile at a time with scattered stores
/// spent 38.8 ms where these loops spend a few.
extension Winograd {
    typealias Lanes = SIMD8<Float>

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    /// Calls `whole` with the first tile of each whole run of eight, then `partial` with the first
    /// tile and the count of the last, shorter run if there is one.
    ///
    /// The callers give each its own copy of the loop body: with one body for both, LLVM
    /// scalarised half of it.
    @inline(__always)
    static func runs(of tiles: Int, whole: (Int) -> Void, partial: (Int, Int) -> Void) {
        var tile = 0
        while tile + lanes <= tiles {
            whole(tile)
            tile += lanes
        }
        if tile < tiles { partial(tile, tiles - tile) }
    }

    /// Stores the first `count` lanes of `value`.
    @inline(__always)
    static func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        if count == lanes {
            UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lanes.self)
            return
        }
        var lane = 0
        if count >= 4 {
            let low = SIMD4<Float>(value[0], value[1], value[2], value[3])
            UnsafeMutableRawPointer(pointer).storeBytes(of: low, as: SIMD4<Float>.self)
            lane = 4
        }
        while lane < count {
            pointer[lane] = value[lane]
            lane += 1
        }
    }

    /// B^T x for B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
    @inline(__always)
    static func inputTransform(_ x: (Lanes, Lanes, Lanes, Lanes)) -> (Lanes, Lanes, Lanes, Lanes) {
        (x.0 - x.2, x.1 + x.2, x.2 - x.1, x.1 - x.3)
    }

    /// A^T x for A^T = [1 1 1 0; 0 1 -1 -1].
    @inline(__always)
    static func outputTransform(_ x: (Lanes, Lanes, Lanes, Lanes)) -> (Lanes, Lanes) {
        (x.0 + x.1 + x.2, x.1 - x.2 - x.3)
    }

    /// The even and the odd values of the 16 from `pointer`.
    ///
    /// Written lane by lane, which LLVM turns into two shuffles and a permute per half; Swift's
    /// `evenHalf` and `oddHalf` compiled to scalar moves and made the transform three times slower.
    @inline(__always)
    static func deinterleave(_ pointer: UnsafePointer<Float>) -> (Lanes, Lanes) {
        let (a, b) = (load(pointer), load(pointer + lanes))
        return (
            Lanes(a[0], a[2], a[4], a[6], b[0], b[2], b[4], b[6]),
            Lanes(a[1], a[3], a[5], a[7], b[1], b[3], b[5], b[7])
        )
    }

    /// Writes a row of `width` (even) values, padded by a zero on each side, split: its even
    /// columns at `target` and its odd ones `half` values after them.
    ///
    /// Done once per row, so the transforms read each tile's four columns as plain loads (the even
    /// and odd values from tile t and from t + 1), the two tile rows that share a row share its
    /// split, and no padded copy of the activations is needed. The padded row's even columns are
    /// 0 and the row's odd values, its odd columns the row's even values and 0.
    @inline(__always)
    static func splitPadded(
        _ row: UnsafePointer<Float>, width: Int, into target: UnsafeMutablePointer<Float>, half: Int
    ) {
        let (evens, odds) = (target, target + half)
        var column = 0
        while column + 2 * lanes <= width {
            let (even, odd) = deinterleave(row + column)
            UnsafeMutableRawPointer(evens + 1 + column / 2).storeBytes(of: odd, as: Lanes.self)
            UnsafeMutableRawPointer(odds + column / 2).storeBytes(of: even, as: Lanes.self)
            column += 2 * lanes
        }
        // The rest without reading past the row, which may end the tensor.
        if column + lanes <= width {
            let values = load(row + column)
            let even = SIMD4(values[0], values[2], values[4], values[6])
            let odd = SIMD4(values[1], values[3], values[5], values[7])
            UnsafeMutableRawPointer(evens + 1 + column / 2).storeBytes(of: odd, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(odds + column / 2).storeBytes(of: even, as: SIMD4<Float>.self)
            column += lanes
        }
        while column < width {
            evens[1 + column / 2] = row[column + 1]
            odds[column / 2] = row[column]
            column += 2
        }
        evens[0] = 0
        odds[width / 2] = 0
    }

    /// Columns 2t to 2t + 3 of one split row for the eight tiles t from `tile`.
    @inline(__always)
    static func tileColumns(_ row: UnsafePointer<Float>, half: Int, tile: Int) -> (Lanes, Lanes, Lanes, Lanes) {
        (load(row + tile), load(row + half + tile), load(row + tile + 1), load(row + half + tile + 1))
    }

    /// V = B^T d B of the tiles of one tile row whose top split row is `top`, stored at `target`
    /// with its 16 points `pointStride` apart.
    static func transformInputRow(
        _ top: UnsafePointer<Float>, rowStride: Int, half: Int, tiles: Int, into target: UnsafeMutablePointer<Float>,
        pointStride: Int
    ) {
        runs(
            of: tiles,
            whole: {
                transformInputs(
                    top, rowStride: rowStride, half: half, tile: $0, into: target, pointStride: pointStride,
                    count: lanes)
            },
            partial: {
                transformLastInputs(
                    top, rowStride: rowStride, half: half, tile: $0, into: target, pointStride: pointStride, count: $1)
            })
    }

    @inline(never)
    static func transformLastInputs(
        _ top: UnsafePointer<Float>, rowStride: Int, half: Int, tile: Int, into target: UnsafeMutablePointer<Float>,
        pointStride: Int, count: Int
    ) {
        transformInputs(
            top, rowStride: rowStride, half: half, tile: tile, into: target, pointStride: pointStride, count: count)
    }

    /// V of the `count` (at most eight) tiles from `tile`.
    @inline(__always)
    static func transformInputs(
        _ top: UnsafePointer<Float>, rowStride: Int, half: Int, tile: Int, into target: UnsafeMutablePointer<Float>,
        pointStride: Int, count: Int
    ) {
        let rows = (
            tileColumns(top, half: half, tile: tile), tileColumns(top + rowStride, half: half, tile: tile),
            tileColumns(top + 2 * rowStride, half: half, tile: tile),
            tileColumns(top + 3 * rowStride, half: half, tile: tile)
        )
        transformInputs(rows, into: target + tile, pointStride: pointStride, count: count)
    }

    /// V of two tile rows of four tiles (8-wide planes), whose tiles are consecutive: the first
    /// row's in the low lanes, the second's (two split rows further) in the high ones.
    static func transformInputPair(
        _ top: UnsafePointer<Float>, rowStride: Int, half: Int, into target: UnsafeMutablePointer<Float>,
        pointStride: Int
    ) {
        @inline(__always) func pair(_ row: UnsafePointer<Float>) -> Lanes {
            let (low, high) = (row, row + 2 * rowStride)
            return Lanes(low[0], low[1], low[2], low[3], high[0], high[1], high[2], high[3])
        }
        @inline(__always) func columns(_ row: UnsafePointer<Float>) -> (Lanes, Lanes, Lanes, Lanes) {
            (pair(row), pair(row + half), pair(row + 1), pair(row + half + 1))
        }
        let rows = (
            columns(top), columns(top + rowStride), columns(top + 2 * rowStride), columns(top + 3 * rowStride)
        )
        transformInputs(rows, into: target, pointStride: pointStride, count: lanes)
    }

    /// V of eight tiles from the columns 2t to 2t + 3 of their four rows.
    @inline(__always)
    static func transformInputs(
        _ rows: (
            (Lanes, Lanes, Lanes, Lanes), (Lanes, Lanes, Lanes, Lanes), (Lanes, Lanes, Lanes, Lanes),
            (Lanes, Lanes, Lanes, Lanes)
        ), into at: UnsafeMutablePointer<Float>, pointStride step: Int, count: Int
    ) {
        // Down the columns, then along each transformed row.
        let c0 = inputTransform((rows.0.0, rows.1.0, rows.2.0, rows.3.0))
        let c1 = inputTransform((rows.0.1, rows.1.1, rows.2.1, rows.3.1))
        let c2 = inputTransform((rows.0.2, rows.1.2, rows.2.2, rows.3.2))
        let c3 = inputTransform((rows.0.3, rows.1.3, rows.2.3, rows.3.3))
        storePoints(inputTransform((c0.0, c1.0, c2.0, c3.0)), at, pointStride: step, count: count)
        storePoints(inputTransform((c0.1, c1.1, c2.1, c3.1)), at + 4 * step, pointStride: step, count: count)
        storePoints(inputTransform((c0.2, c1.2, c2.2, c3.2)), at + 8 * step, pointStride: step, count: count)
        storePoints(inputTransform((c0.3, c1.3, c2.3, c3.3)), at + 12 * step, pointStride: step, count: count)
    }

    /// Stores four consecutive transform points `pointStride` apart.
    @inline(__always)
    static func storePoints(
        _ values: (Lanes, Lanes, Lanes, Lanes), _ pointer: UnsafeMutablePointer<Float>, pointStride: Int, count: Int
    ) {
        store(values.0, pointer, count: count)
        store(values.1, pointer + pointStride, count: count)
        store(values.2, pointer + 2 * pointStride, count: count)
        store(values.3, pointer + 3 * pointStride, count: count)
    }

    /// The 2x2 outputs A^T M A (+ bias) of one tile row's products into two output rows at `target`.
    static func transformOutputRow(
        _ source: UnsafePointer<Float>, pointStride: Int, tiles: Int, bias: Float,
        into target: UnsafeMutablePointer<Float>, width: Int
    ) {
        runs(
            of: tiles,
            whole: {
                transformOutputs(
                    source, pointStride: pointStride, tile: $0, bias: bias, into: target, width: width, count: lanes)
            },
            partial: {
                transformLastOutputs(
                    source, pointStride: pointStride, tile: $0, bias: bias, into: target, width: width, count: $1)
            })
    }

    @inline(never)
    static func transformLastOutputs(
        _ source: UnsafePointer<Float>, pointStride: Int, tile: Int, bias: Float,
        into target: UnsafeMutablePointer<Float>, width: Int, count: Int
    ) {
        transformOutputs(
            source, pointStride: pointStride, tile: tile, bias: bias, into: target, width: width, count: count)
    }

    /// The outputs of the `count` (at most eight) tiles from `tile`.
    @inline(__always)
    static func transformOutputs(
        _ source: UnsafePointer<Float>, pointStride: Int, tile: Int, bias: Float,
        into target: UnsafeMutablePointer<Float>, width: Int, count: Int
    ) {
        let (left, right) = outputTile(source + tile, pointStride: pointStride)
        storeInterleaved(left.0 + bias, right.0 + bias, target + 2 * tile, count: count)
        storeInterleaved(left.1 + bias, right.1 + bias, target + width + 2 * tile, count: count)
    }

    /// The outputs of two tile rows of four tiles (8-wide planes): the low lanes into the first two
    /// output rows at `target`, the high ones into the next two.
    static func transformOutputPair(
        _ source: UnsafePointer<Float>, pointStride: Int, bias: Float, into target: UnsafeMutablePointer<Float>,
        width: Int
    ) {
        let (left, right) = outputTile(source, pointStride: pointStride)
        @inline(__always) func store(_ even: Lanes, _ odd: Lanes, _ pointer: UnsafeMutablePointer<Float>) {
            let (low, high) = (
                Lanes(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3]),
                Lanes(even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
            )
            UnsafeMutableRawPointer(pointer).storeBytes(of: low, as: Lanes.self)
            UnsafeMutableRawPointer(pointer + 2 * width).storeBytes(of: high, as: Lanes.self)
        }
        store(left.0 + bias, right.0 + bias, target)
        store(left.1 + bias, right.1 + bias, target + width)
    }

    /// A^T M A of eight consecutive tiles: the outputs' left column (top, bottom) and right column.
    @inline(__always)
    static func outputTile(_ at: UnsafePointer<Float>, pointStride step: Int) -> ((Lanes, Lanes), (Lanes, Lanes)) {
        // Along each row of M, then down the two resulting columns.
        let r0 = outputTransform((load(at), load(at + step), load(at + 2 * step), load(at + 3 * step)))
        let r1 = outputTransform((load(at + 4 * step), load(at + 5 * step), load(at + 6 * step), load(at + 7 * step)))
        let r2 = outputTransform((load(at + 8 * step), load(at + 9 * step), load(at + 10 * step), load(at + 11 * step)))
        let r3 = outputTransform(
            (load(at + 12 * step), load(at + 13 * step), load(at + 14 * step), load(at + 15 * step)))
        return (outputTransform((r0.0, r1.0, r2.0, r3.0)), outputTransform((r0.1, r1.1, r2.1, r3.1)))
    }

    /// Writes the first `count` lanes of `even` and `odd` interleaved, an even lane first.
    @inline(__always)
    static func storeInterleaved(_ even: Lanes, _ odd: Lanes, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let target = UnsafeMutableRawPointer(pointer)
        if count >= 4 {
            let low = Lanes(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3])
            target.storeBytes(of: low, as: Lanes.self)
        }
        if count == lanes {
            let high = Lanes(even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
            target.storeBytes(of: high, toByteOffset: 32, as: Lanes.self)
        } else if count != 4 {
            for lane in (count >= 4 ? 4 : 0)..<count {
                pointer[2 * lane] = even[lane]
                pointer[2 * lane + 1] = odd[lane]
            }
        }
    }
}

extension Winograd {
    /// A x for A = [1 0; 1 1; 1 -1; 0 -1], which spreads two output gradients over four points.
    @inline(__always)
    static func gradientTransform(_ x: (Lanes, Lanes)) -> (Lanes, Lanes, Lanes, Lanes) {
        (x.0, x.0 + x.1, x.0 - x.1, -x.1)
    }

    /// Z = A dY A^T of the tiles of one tile row, from the two dY rows at `top` and `top + width`.
    static func transformGradientRow(
        _ top: UnsafePointer<Float>, width: Int, tiles: Int, into target: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        runs(
            of: tiles,
            whole: {
                transformGradients(
                    deinterleave(top + 2 * $0), deinterleave(top + width + 2 * $0), into: target + $0,
                    pointStride: pointStride, count: lanes)
            },
            partial: {
                transformLastGradients(top, width: width, tile: $0, into: target, pointStride: pointStride, count: $1)
            })
    }

    /// Z of the last run, reading only its 2 * `count` values of each row.
    ///
    /// Reading 16 from the run's start could pass the end of the tensor. A run of four (8-wide
    /// planes) takes one eight-wide load per row.
    @inline(never)
    static func transformLastGradients(
        _ top: UnsafePointer<Float>, width: Int, tile: Int, into target: UnsafeMutablePointer<Float>,
        pointStride: Int, count: Int
    ) {
        @inline(__always) func columns(_ row: UnsafePointer<Float>) -> (Lanes, Lanes) {
            if count == 4 {
                let a = load(row)
                return (Lanes(a[0], a[2], a[4], a[6], 0, 0, 0, 0), Lanes(a[1], a[3], a[5], a[7], 0, 0, 0, 0))
            }
            var (even, odd) = (Lanes(), Lanes())
            for lane in 0..<count {
                even[lane] = row[2 * lane]
                odd[lane] = row[2 * lane + 1]
            }
            return (even, odd)
        }
        transformGradients(
            columns(top + 2 * tile), columns(top + width + 2 * tile), into: target + tile, pointStride: pointStride,
            count: count)
    }

    /// Z of the `count` (at most eight) tiles whose upper and lower rows' even and odd columns are given.
    @inline(__always)
    static func transformGradients(
        _ upper: (Lanes, Lanes), _ lower: (Lanes, Lanes), into at: UnsafeMutablePointer<Float>, pointStride step: Int,
        count: Int
    ) {
        // Down the two columns, then along each of the four rows.
        let left = gradientTransform((upper.0, lower.0))
        let right = gradientTransform((upper.1, lower.1))
        storePoints(gradientTransform((left.0, right.0)), at, pointStride: step, count: count)
        storePoints(gradientTransform((left.1, right.1)), at + 4 * step, pointStride: step, count: count)
        storePoints(gradientTransform((left.2, right.2)), at + 8 * step, pointStride: step, count: count)
        storePoints(gradientTransform((left.3, right.3)), at + 12 * step, pointStride: step, count: count)
    }
}
