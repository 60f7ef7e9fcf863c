/// The loops the sparse kernels share: every kept weight multiplies one contiguous run of values.
///
/// Both kernels lay their operands out so that a kept entry (row, column) with value v touches a
/// run `source[offset(column) + j]` for j over a long range, and the row's result is the run
/// `target[row][j]`: the linear kernel transposes activations to [features, batch], and the
/// convolution splits its padded input into phase planes whose shifts are the kernel offsets. The
/// sparse product is then, per row, a sum of axpys into a block of registers; its transpose adds the
/// row back into each entry's run (the linear dX; the convolution regroups its entries by target
/// and multiplies instead); and the weight gradient at an entry is one dot product.
///
/// Every length is a multiple of 16, and buffers carry enough zero slack past their end for the
/// longest run, so that no loop needs a scalar tail. Positions are walked in tiles (`tile` values)
/// so that a tile of every source run stays in L2 while all rows use it.
enum SparseRuns {
    typealias Vector = SIMD16<Float>
    /// Half a vector: the lanes of one AVX register, for loops that keep many accumulators.
    typealias Half = SIMD8<Float>

    /// The width of one vector; lengths must be multiples of it.
    static let lanes = 16

    /// Per row, target[row * targetStride + j] = Σ values[k] * source[offsets[k] + j], j in 0..<length.
    static func multiply(
        rows: Int, rowStarts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        source: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>, targetStride: Int, length: Int, tile: Int
    ) {
        forEachTile(length: length, tile: tile) { start, run in
            for row in 0..<rows {
                let first = Int(rowStarts[row])
                accumulate(
                    values + first, offsets + first, entries: Int(rowStarts[row + 1]) &- first, source + start,
                    target + row * targetStride + start, length: run)
            }
        }
    }

    /// `multiply` one tile of positions at a time into `scratch` [rows][min(tile, length)], position
    /// `start` of the tile at index 0, handing each finished tile to `drain(start, run)`.
    ///
    /// The caller copies what it needs of a tile while the tile is still in cache, instead of
    /// writing a full-length target to memory and reading it back.
    static func multiplyByTile(
        rows: Int, rowStarts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        source: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, length: Int, tile: Int,
        drain: (_ start: Int, _ run: Int) -> Void
    ) {
        let stride = min(tile, length)
        forEachTile(length: length, tile: tile) { start, run in
            for row in 0..<rows {
                let first = Int(rowStarts[row])
                accumulate(
                    values + first, offsets + first, entries: Int(rowStarts[row + 1]) &- first, source + start,
                    scratch + row * stride, length: run)
            }
            drain(start, run)
        }
    }

    /// The transpose of `multiply`: per row and entry, target[offsets[k] + j] += values[k] * source[row][j].
    ///
    /// `target` is not cleared first.
    static func multiplyTransposed(
        rows: Int, rowStarts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>, values: UnsafePointer<Float>,
        source: UnsafePointer<Float>, sourceStride: Int, target: UnsafeMutablePointer<Float>, length: Int, tile: Int
    ) {
        forEachTile(length: length, tile: tile) { start, run in
            for row in 0..<rows {
                let first = Int(rowStarts[row])
                spread(
                    values + first, offsets + first, entries: Int(rowStarts[row + 1]) &- first,
                    source + row * sourceStride + start, target + start, length: run)
            }
        }
    }

    /// Per row and entry, sums[k] = Σ_j gradient[row][j] * source[offsets[k] + j]: dW at kept
    /// entries; with `accumulate`, added to the sums instead.
    static func entryDots(
        rows: Int, rowStarts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>,
        gradient: UnsafePointer<Float>, gradientStride: Int, source: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, length: Int, tile: Int, accumulate: Bool = false
    ) {
        if !accumulate { sums.update(repeating: 0, count: Int(rowStarts[rows])) }
        forEachTile(length: length, tile: tile) { start, run in
            for row in 0..<rows {
                let line = gradient + row * gradientStride + start
                var entry = Int(rowStarts[row])
                let end = Int(rowStarts[row + 1])
                while entry < end {
                    let count = min(end &- entry, 8)
                    let runs = source + start
                    if count == 8 {
                        let partial = dots(line, runs, offsets + entry, count: count, length: run)
                        storeHalf(loadHalf(sums + entry) + partial, sums + entry)
                    } else if count > 4 {
                        let partial = dots(line, runs, offsets + entry, count: count, length: run)
                        for lane in 0..<count { sums[entry &+ lane] += partial[lane] }
                    } else if count > 1 {
                        // Few entries (rows of LeNet's first layers): eight lanes would mostly repeat.
                        let partial = fewDots(line, runs, offsets + entry, count: count, length: run)
                        for lane in 0..<count { sums[entry &+ lane] += partial[lane] }
                    } else {
                        sums[entry] += dot(line, runs + Int(offsets[entry]), length: run)
                    }
                    entry &+= count
                }
            }
        }
    }

    /// The dot products of one run `x` with the runs at eight `offsets` in `source`, one per lane.
    ///
    /// Eight entries share each load of `x` (four used to), and their eight sums are reduced
    /// together, three vector adds instead of a horizontal sum each. With `count` below eight the
    /// spare lanes repeat the last run, whose loads hit the cache lines it just read, and are
    /// ignored by the caller.
    @inline(__always)
    private static func dots(
        _ x: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int32>, count: Int,
        length: Int
    ) -> Half {
        let last = count &- 1
        let (y0, y1, y2, y3) = (
            source + Int(offsets[0]), source + Int(offsets[min(1, last)]), source + Int(offsets[min(2, last)]),
            source + Int(offsets[min(3, last)])
        )
        let (y4, y5, y6, y7) = (
            source + Int(offsets[min(4, last)]), source + Int(offsets[min(5, last)]),
            source + Int(offsets[min(6, last)]), source + Int(offsets[min(7, last)])
        )
        var (a0, a1, a2, a3) = (Half(), Half(), Half(), Half())
        var (a4, a5, a6, a7) = (Half(), Half(), Half(), Half())
        var j = 0
        while j < length {
            let value = loadHalf(x + j)
            a0 = a0.addingProduct(value, loadHalf(y0 + j))
            a1 = a1.addingProduct(value, loadHalf(y1 + j))
            a2 = a2.addingProduct(value, loadHalf(y2 + j))
            a3 = a3.addingProduct(value, loadHalf(y3 + j))
            a4 = a4.addingProduct(value, loadHalf(y4 + j))
            a5 = a5.addingProduct(value, loadHalf(y5 + j))
            a6 = a6.addingProduct(value, loadHalf(y6 + j))
            a7 = a7.addingProduct(value, loadHalf(y7 + j))
            j &+= 8
        }
        let (b0, b1, b2, b3) = (pairSums(a0, a1), pairSums(a2, a3), pairSums(a4, a5), pairSums(a6, a7))
        return pairSums(pairSums(b0, b1), pairSums(b2, b3))
    }

    /// `dots` for two to four entries: four lanes, the spare ones repeating the last run.
    @inline(__always)
    private static func fewDots(
        _ x: UnsafePointer<Float>, _ source: UnsafePointer<Float>, _ offsets: UnsafePointer<Int32>, count: Int,
        length: Int
    ) -> SIMD4<Float> {
        let y = (
            source + Int(offsets[0]), source + Int(offsets[1]), source + Int(offsets[min(2, count &- 1)]),
            source + Int(offsets[min(3, count &- 1)])
        )
        var (a0, a1, a2, a3) = (Half(), Half(), Half(), Half())
        var j = 0
        while j < length {
            let value = loadHalf(x + j)
            (a0, a1) = (a0.addingProduct(value, loadHalf(y.0 + j)), a1.addingProduct(value, loadHalf(y.1 + j)))
            (a2, a3) = (a2.addingProduct(value, loadHalf(y.2 + j)), a3.addingProduct(value, loadHalf(y.3 + j)))
            j &+= 8
        }
        let pairs = pairSums(pairSums(a0, a1), pairSums(a2, a3))
        return pairs.evenHalf + pairs.oddHalf
    }

    /// Neighbouring lanes added: [x0 + x1, x2 + x3, x4 + x5, x6 + x7, y0 + y1, ..., y6 + y7].
    @inline(__always)
    private static func pairSums(_ x: Half, _ y: Half) -> Half {
        Half(lowHalf: x.evenHalf, highHalf: y.evenHalf) + Half(lowHalf: x.oddHalf, highHalf: y.oddHalf)
    }

    @inline(__always)
    private static func forEachTile(length: Int, tile: Int, _ body: (Int, Int) -> Void) {
        var start = 0
        while start < length {
            let run = min(tile, length &- start)
            body(start, run)
            start &+= run
        }
    }

    /// target[j] = Σ_k values[k] * source[offsets[k] + j], four vectors of accumulators at a time.
    @inline(__always)
    private static func accumulate(
        _ values: UnsafePointer<Float>, _ offsets: UnsafePointer<Int32>, entries: Int,
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, length: Int
    ) {
        var j = 0
        while j + 64 <= length {
            var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
            for k in 0..<entries {
                let v = Vector(repeating: values[k])
                let run = source + Int(offsets[k]) + j
                a0 = a0.addingProduct(load(run), v)
                a1 = a1.addingProduct(load(run + 16), v)
                a2 = a2.addingProduct(load(run + 32), v)
                a3 = a3.addingProduct(load(run + 48), v)
            }
            store(a0, target + j)
            store(a1, target + j + 16)
            store(a2, target + j + 32)
            store(a3, target + j + 48)
            j &+= 64
        }
        while j < length {
            var a0 = Vector()
            for k in 0..<entries {
                a0 = a0.addingProduct(load(source + Int(offsets[k]) + j), Vector(repeating: values[k]))
            }
            store(a0, target + j)
            j &+= 16
        }
    }

    /// target[offsets[k] + j] += values[k] * source[j] for every entry k.
    @inline(__always)
    private static func spread(
        _ values: UnsafePointer<Float>, _ offsets: UnsafePointer<Int32>, entries: Int,
        _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, length: Int
    ) {
        if entries == 0 { return }
        var j = 0
        while j + 64 <= length {
            let (s0, s1, s2, s3) = (
                load(source + j), load(source + j + 16), load(source + j + 32), load(source + j + 48)
            )
            for k in 0..<entries {
                let v = Vector(repeating: values[k])
                let run = target + Int(offsets[k]) + j
                store(load(run).addingProduct(s0, v), run)
                store(load(run + 16).addingProduct(s1, v), run + 16)
                store(load(run + 32).addingProduct(s2, v), run + 32)
                store(load(run + 48).addingProduct(s3, v), run + 48)
            }
            j &+= 64
        }
        while j < length {
            let s0 = load(source + j)
            for k in 0..<entries {
                let run = target + Int(offsets[k]) + j
                store(load(run).addingProduct(s0, Vector(repeating: values[k])), run)
            }
            j &+= 16
        }
    }

    /// The dot product of two runs of `length` values.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, length: Int) -> Float {
        var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
        var j = 0
        while j + 64 <= length {
            a0 = a0.addingProduct(load(x + j), load(y + j))
            a1 = a1.addingProduct(load(x + j + 16), load(y + j + 16))
            a2 = a2.addingProduct(load(x + j + 32), load(y + j + 32))
            a3 = a3.addingProduct(load(x + j + 48), load(y + j + 48))
            j &+= 64
        }
        while j < length {
            a0 = a0.addingProduct(load(x + j), load(y + j))
            j &+= 16
        }
        return ((a0 + a1) + (a2 + a3)).sum()
    }

    @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func loadHalf(_ pointer: UnsafePointer<Float>) -> Half {
        UnsafeRawPointer(pointer).loadUnaligned(as: Half.self)
    }

    @inline(__always) static func storeHalf(_ value: Half, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Half.self)
    }

    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
    }

    /// Copies `count` values between buffers that do not overlap, in vectors, inline.
    ///
    /// The layout copies move one image row at a time (14 to 34 values in LeNet and ResNet), and
    /// a call to memmove per row cost more than the copy: the last vector overlaps the one before
    /// instead of a scalar tail.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 16 {
            var j = 0
            while j &+ 16 <= count {
                store(load(source + j), target + j)
                j &+= 16
            }
            if j < count { store(load(source + (count &- 16)), target + (count &- 16)) }
        } else if count >= 8 {
            // ResNet's rows of exactly 8 and 4 values take one vector, not the same one twice.
            copyVector(SIMD8<Float>.self, source, target, at: 0)
            if count > 8 { copyVector(SIMD8<Float>.self, source, target, at: count &- 8) }
        } else if count >= 4 {
            copyVector(SIMD4<Float>.self, source, target, at: 0)
            if count > 4 { copyVector(SIMD4<Float>.self, source, target, at: count &- 4) }
        } else {
            for j in 0..<count { target[j] = source[j] }
        }
    }

    @inline(__always)
    private static func copyVector<V: SIMD>(
        _: V.Type, _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, at offset: Int
    ) where V.Scalar == Float {
        UnsafeMutableRawPointer(target + offset).storeBytes(
            of: UnsafeRawPointer(source + offset).loadUnaligned(as: V.self), as: V.self)
    }

    /// Positions per tile so that a tile of `sourceRuns` runs spans about 256 KB (half an L2 cache),
    /// a whole number of 64-value register blocks, and at least one.
    static func tileLength(sourceRuns: Int) -> Int { max(64, 65_536 / max(sourceRuns, 1) / 64 * 64) }

    /// `count` rounded up to a whole number of vectors.
    static func roundedUp(_ count: Int) -> Int { (count + lanes - 1) / lanes * lanes }
}
