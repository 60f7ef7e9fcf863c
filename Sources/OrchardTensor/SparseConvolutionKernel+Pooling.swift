/// The convolution, its ReLU and a 2x2 max pool of stride 2 in one pass, for chains such as LeNet's.
///
/// Apart, the three layers write and read the full-size activation four times (the convolution's
/// output, the ReLU's output, their gradients) and the kernel copies the valid outputs out of its
/// wide layout. Here the wide output is made a few whole samples at a time (so that every pooling
/// window lies in one tile), and while the tile is in cache each window gets the bias, its maximum
/// and the ReLU: only the pooled output leaves the kernel, with one byte per window saying which of
/// its four positions won (4 when the maximum is not positive, so the ReLU passes no gradient).
/// Backward writes the pooled dY straight into the wide dY through those bytes. The results are
/// bit for bit those of the separate layers: the maximum of the ReLU's outputs is the ReLU of the
/// maximum, and ties go to the first position in the order the max pool scans.
extension SparseConvolutionKernel {
    /// Writes ReLU(max-pool(conv(input) + bias)) into `output` [Cout, N, Ho / 2, Wo / 2].
    ///
    /// Keeps the input's phase planes and each window's winner for `backwardPooled`.
    public func forwardPooled(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, input: Tensor,
        output: Tensor
    ) {
        if input.shape.count == 4, let q = ParityGeometry(geometry, batch: input.shape[1]) {
            forwardParity(pattern, values: values, bias: bias, input: input, output: output, q)
            return
        }
        let p = prepare(pattern, input: input, pooled: true)
        let (height, width) = (geometry.outputHeight / 2, geometry.outputWidth / 2)
        precondition(
            output.shape == [outputChannels, p.batch, height, width],
            "SparseConvolutionKernel pooled output is \(output.shape), not [\(outputChannels), \(p.batch), "
                + "\(height), \(width)]")
        let storage = IndexStorage.reusing(winners, count: p.winnerWords(rows: outputChannels), role: .workspace)
        winners = storage
        let rows = outputChannels
        let stride = p.sampleTileStride(rows: rows)
        let scratch = workspace.scratch(count: rows * stride)
        let offsets = entryOffsets(pattern, p)
        let samplePlane = p.planeHeight * p.planeWidth
        // The plane rows the windows read, from the top of each sample's block: the rows below
        // them (LeNet conv2: 4 of 14, 27% of the arithmetic) are left out, one run per sample.
        let used = SparseRuns.roundedUp(height * 2 * p.planeWidth)
        let perSample = used < samplePlane
        var first = 0
        while first < p.batch {
            let count = min(p.samplesPerTile(rows: rows), p.batch - first)
            let runs = perSample ? count : 1
            let run = perSample ? used : SparseRuns.roundedUp(count * samplePlane)
            for index in 0..<runs {
                SparseRuns.multiply(
                    rows: rows, rowStarts: pattern.rowStarts, offsets: offsets, values: values,
                    source: phases!.data + (first + index) * samplePlane, target: scratch + index * samplePlane,
                    targetStride: stride, length: run, tile: run)
            }
            p.pool(
                scratch, rows: rows, rowStride: stride, samples: first..<first + count, bias: bias,
                into: output.data, winners: UnsafeMutableRawPointer(storage.base))
            first += count
        }
    }

    /// Computes dW at the kept entries, dX into `inputGradient` unless nil, and the bias gradient
    /// into `biasGradient` unless nil, from the gradient of the pooled output [Cout, N, Ho / 2, Wo / 2].
    ///
    /// Needs the last `forwardPooled` on the batch of `outputGradient`.
    public func backwardPooled(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, outputGradient: Tensor, inputGradient: Tensor?,
        weightGradientValues: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?
    ) {
        check(pattern)
        let batch = outputGradient.shape.count == 4 ? outputGradient.shape[1] : -1
        precondition(
            isPooled
                && outputGradient.shape
                    == [outputChannels, batch, geometry.outputHeight / 2, geometry.outputWidth / 2],
            "SparseConvolutionKernel pooled output gradient is \(outputGradient.shape)")
        let p = savedGeometry(batch: batch)
        if let q = ParityGeometry(geometry, batch: batch) {
            backwardParity(
                pattern, values: values, outputGradient: outputGradient, inputGradient: inputGradient,
                weightGradientValues: weightGradientValues, biasGradient: biasGradient, q)
            return
        }
        guard inputGradient == nil else {
            let wide = pooledGradient(outputGradient, p, sums: biasGradient)
            backward(pattern, values: values, wide: wide, p, inputGradient: inputGradient, weightGradientValues)
            return
        }
        weightGradient(pattern, pooledGradient: outputGradient, p, weightGradientValues, biasGradient)
    }

    /// dW (and the bias gradient) alone, a few whole samples of dY at a time.
    ///
    /// Without dX nothing reads the wide dY at a shift across samples, so each tile of it is
    /// spread out in the scratch, in cache, and used at once: the full wide dY of LeNet's conv1 is
    /// 1.5 MB written and read back, per step.
    private func weightGradient(
        _ pattern: SparsePattern, pooledGradient: Tensor, _ p: PhaseGeometry,
        _ weightGradientValues: UnsafeMutablePointer<Float>, _ biasGradient: UnsafeMutablePointer<Float>?
    ) {
        hasGradient = true
        // No wide dY is left in the workspace: `gradient(at:)` goes tile by tile too.
        holdsWideGradient = false
        let offsets = entryOffsets(pattern, p)
        forEachGradientTile(pooledGradient, p, sums: biasGradient) { tile, stride, first, run in
            SparseRuns.entryDots(
                rows: outputChannels, rowStarts: pattern.rowStarts, offsets: offsets, gradient: tile,
                gradientStride: stride, source: phases!.data + first * p.planeHeight * p.planeWidth,
                sums: weightGradientValues, length: run, tile: run, accumulate: first > 0)
        }
    }

    /// `gradient(at:count:outputGradient:into:)` after a pooled backward pass without dX.
    func tiledGradient(
        at flatPositions: UnsafePointer<Int32>, count: Int, pooledGradient: Tensor, _ p: PhaseGeometry,
        into gradients: UnsafeMutablePointer<Float>
    ) {
        if let q = ParityGeometry(geometry, batch: p.batch) {
            parityGradient(at: flatPositions, count: count, pooledGradient: pooledGradient, q, into: gradients)
            return
        }
        let table = columnTable(p)
        gradients.update(repeating: 0, count: count)
        forEachGradientTile(pooledGradient, p, sums: nil) { tile, stride, first, run in
            let source = phases!.data + first * p.planeHeight * p.planeWidth
            for index in 0..<count {
                let (row, column) = Int(flatPositions[index]).quotientAndRemainder(dividingBy: patchSize)
                gradients[index] += SparseRuns.dot(tile + row * stride, source + Int(table[column]), length: run)
            }
        }
    }

    /// Spreads the pooled dY of a few whole samples at a time into the scratch [rows][stride],
    /// zeros elsewhere, and calls `body(tile, stride, first sample, run)` on each.
    private func forEachGradientTile(
        _ pooledGradient: Tensor, _ p: PhaseGeometry, sums: UnsafeMutablePointer<Float>?,
        _ body: (UnsafeMutablePointer<Float>, Int, Int, Int) -> Void
    ) {
        let rows = outputChannels
        let stride = p.sampleTileStride(rows: rows)
        let tile = workspace.scratch(count: rows * stride)
        let samplePlane = p.planeHeight * p.planeWidth
        var first = 0
        while first < p.batch {
            let count = min(p.samplesPerTile(rows: rows), p.batch - first)
            let run = SparseRuns.roundedUp(count * samplePlane)
            // The scatter writes every valid position, so the zeros elsewhere (the columns and
            // rows past the outputs) stay from the first tile, as long as any later: only the
            // rounding tail of a shorter last tile may hold a valid position of the first.
            let cleared = first == 0 ? 0 : count * samplePlane
            for row in 0..<rows { (tile + row * stride + cleared).update(repeating: 0, count: run - cleared) }
            p.scatterPooled(
                pooledGradient.data, winners: UnsafeRawPointer(winners!.base), rows: rows,
                samples: first..<first + count, into: tile, rowStride: stride, sums: sums, accumulate: first > 0)
            body(tile, stride, first, run)
            first += count
        }
    }

    /// The pooled dY spread into the workspace's wide dY through the winners, zeros elsewhere.
    func pooledGradient(_ gradient: Tensor, _ p: PhaseGeometry, sums: UnsafeMutablePointer<Float>? = nil)
        -> UnsafeMutablePointer<Float>
    {
        let (wide, stamp, holdsZeros) = workspace.claimGradient(p.gradientLayout(rows: outputChannels))
        gradientStamp = stamp
        if !holdsZeros { p.zeroInvalid(wide, rows: outputChannels) }
        p.scatterPooled(
            gradient.data, winners: UnsafeRawPointer(winners!.base), rows: outputChannels, samples: 0..<p.batch,
            into: wide + p.gradientMargin, rowStride: p.gradientStride, sums: sums)
        return wide
    }
}

extension PhaseGeometry {
    /// Whole samples per tile of the pooled forward: as many as keep a tile of the `rows` output
    /// runs and every source run in about 256 KB, and at least one.
    func samplesPerTile(rows: Int) -> Int {
        min(batch, max(1, SparseRuns.tileLength(sourceRuns: planes + rows) / (planeHeight * planeWidth)))
    }

    /// The scratch row stride of the pooled forward: one tile, rounded up to whole vectors.
    func sampleTileStride(rows: Int) -> Int {
        SparseRuns.roundedUp(samplesPerTile(rows: rows) * planeHeight * planeWidth)
    }

    /// Int32 words that hold one winner byte per pooled output of `rows` channels.
    func winnerWords(rows: Int) -> Int { (rows * batch * (base.outputHeight / 2) * (base.outputWidth / 2) + 3) / 4 }

    /// Pools the wide outputs of `samples`, held by a tile buffer [rows][rowStride] from the
    /// first sample's block, into [rows, N, Ho / 2, Wo / 2] with the bias and the ReLU, and
    /// writes each window's winner: 0 to 3 in the order top left, top right, bottom left, bottom
    /// right, or 4 when the ReLU passes nothing.
    func pool(
        _ tile: UnsafePointer<Float>, rows: Int, rowStride: Int, samples: Range<Int>, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>, winners: UnsafeMutableRawPointer
    ) {
        let (height, width) = (base.outputHeight / 2, base.outputWidth / 2)
        let samplePlane = planeHeight * planeWidth
        let narrow = hasNarrowWindows
        for row in 0..<rows {
            // Adding zero without a bias changes only -0 to +0, which the ReLU makes +0 anyway.
            let shift = bias?[row] ?? 0
            // A narrow row's spill must land on windows this loop writes later.
            let end = (row * batch + samples.upperBound) * height * width
            for sample in samples {
                let plane = tile + row * rowStride + (sample - samples.lowerBound) * samplePlane
                var target = (row * batch + sample) * height * width
                for y in 0..<height {
                    let top = plane + 2 * y * planeWidth
                    if narrow && target + 8 <= end {
                        Self.poolNarrowRow(top, top + planeWidth, shift, output + target, winners + target)
                    } else {
                        Self.poolRow(top, top + planeWidth, shift, count: width, output + target, winners + target)
                    }
                    target += width
                }
            }
        }
    }

    /// Whether a pooled row is under eight windows wide and a sixteen-float run from any window
    /// row stays inside its sample's plane: then a whole row is one vector (LeNet conv2: 5 windows).
    var hasNarrowWindows: Bool {
        base.outputWidth / 2 < 8 && (2 * (base.outputHeight / 2) - 1) * planeWidth + 16 <= planeHeight * planeWidth
    }

    /// The maxima of eight windows from sixteen floats of two rows, the shift added, and their winner codes.
    @inline(__always)
    private static func pool8(_ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>, _ shifts: SIMD16<Float>)
        -> (SIMD8<Float>, SIMD8<UInt8>)
    {
        let upperRow = UnsafeRawPointer(top).loadUnaligned(as: SIMD16<Float>.self) + shifts
        let lowerRow = UnsafeRawPointer(bottom).loadUnaligned(as: SIMD16<Float>.self) + shifts
        return ParityRows.maxima(upperRow.evenHalf, upperRow.oddHalf, lowerRow.evenHalf, lowerRow.oddHalf)
    }

    /// Pools a row of fewer than eight windows as one vector of eight.
    ///
    /// The floats read past the row (inside the sample's plane, see `hasNarrowWindows`) fill lanes
    /// whose outputs and winners land on the next windows', which are written after these (the
    /// caller keeps the last row off this path). Storing only the row's lanes one by one went
    /// through memory and made the step 15% slower.
    @inline(__always)
    private static func poolNarrowRow(
        _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>, _ shift: Float,
        _ output: UnsafeMutablePointer<Float>, _ winners: UnsafeMutableRawPointer
    ) {
        let (best, code) = pool8(top, bottom, SIMD16<Float>(repeating: shift))
        UnsafeMutableRawPointer(output).storeBytes(of: best, as: SIMD8<Float>.self)
        winners.storeBytes(of: code, as: SIMD8<UInt8>.self)
    }

    /// Pools `count` windows of two rows, eight at a time in vectors, then one at a time.
    @inline(__always)
    private static func poolRow(
        _ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>, _ shift: Float, count: Int,
        _ output: UnsafeMutablePointer<Float>, _ winners: UnsafeMutableRawPointer
    ) {
        var x = 0
        let shifts = SIMD16<Float>(repeating: shift)
        while x < count && count >= 8 {
            // The last eight windows overlap the ones before rather than leave a scalar tail:
            // rewriting a window writes the same values.
            x = min(x, count - 8)
            let (best, code) = pool8(top + 2 * x, bottom + 2 * x, shifts)
            UnsafeMutableRawPointer(output + x).storeBytes(of: best, as: SIMD8<Float>.self)
            winners.storeBytes(of: code, toByteOffset: x, as: SIMD8<UInt8>.self)
            x += 8
        }
        // One window at a time without branches: on activations the winner is random, and the
        // compiler's branches for the codes were mispredicted so often that the loop took 4x longer.
        while x < count {
            let (a, b) = (top[2 * x] + shift, top[2 * x + 1] + shift)
            let (c, d) = (bottom[2 * x] + shift, bottom[2 * x + 1] + shift)
            let upper = b > a ? b : a
            let lower = d > c ? d : c
            let best = lower > upper ? lower : upper
            let (upperRight, lowerRight, below, alive) = (bit(b > a), bit(d > c), bit(lower > upper), bit(best > 0))
            let code = upperRight &+ below &* (2 &+ lowerRight &- upperRight)
            output[x] = best > 0 ? best : 0
            winners.storeBytes(of: alive &* code &+ (1 &- alive) &* 4, toByteOffset: x, as: UInt8.self)
            x += 1
        }
    }

    /// Scatters eight windows' gradients into their two rows, returning the sum that passed.
    ///
    /// The masks are integer arithmetic: `replacing(with:where:)` with masks from integer
    /// comparisons compiled to a loop over lanes through memory, 10x slower than the scalar loop.
    @inline(__always)
    private static func scatter8(
        _ gradient: UnsafePointer<Float>, _ winners: UnsafeRawPointer, _ top: UnsafeMutablePointer<Float>,
        _ bottom: UnsafeMutablePointer<Float>, skip: UInt32
    ) -> Float {
        typealias Bits = SIMD8<UInt32>
        let values = unsafeBitCast(UnsafeRawPointer(gradient).loadUnaligned(as: SIMD8<Float>.self), to: Bits.self)
        // Bit k of `flags` is set where the code is k (bit 4: the ReLU stopped the window).
        let flags = Bits(repeating: 1) &<< Bits(truncatingIfNeeded: winners.loadUnaligned(as: SIMD8<UInt8>.self))
        func kept(_ k: UInt32) -> SIMD8<Float> {
            unsafeBitCast(values & (Bits() &- ((flags &>> k) & 1)), to: SIMD8<Float>.self)
        }
        UnsafeMutableRawPointer(top).storeBytes(of: interleaved(kept(0), kept(1)), as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(bottom).storeBytes(of: interleaved(kept(2), kept(3)), as: SIMD16<Float>.self)
        // Lanes below `skip` wrap around to a set top bit: 1 where a lane is left out of the sum.
        let skipped = (Bits(0, 1, 2, 3, 4, 5, 6, 7) &- skip) &>> 31
        let passed = ((flags &>> 4) | skipped) ^ 1
        return unsafeBitCast(values & (Bits() &- passed), to: SIMD8<Float>.self).sum()
    }

    /// a0, b0, a1, b1, ...: the values of a window's two columns in image order.
    @inline(__always)
    private static func interleaved(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    /// 1 for true, 0 for false, without a branch.
    @inline(__always)
    private static func bit(_ flag: Bool) -> UInt8 { unsafeBitCast(flag, to: UInt8.self) }

    /// `value` where `flag` holds, else +0, without a branch.
    @inline(__always)
    private static func kept(_ value: UInt32, _ flag: Bool) -> Float {
        Float(bitPattern: value & (0 &- UInt32(bit(flag))))
    }

    /// Writes the gradient of the pooled output [rows, N, Ho / 2, Wo / 2] of `samples` into every
    /// valid position of a wide buffer [rows][rowStride] whose index 0 is the first sample's block.
    ///
    /// Each window's winner gets its value; the rest of the window, the last row and column a
    /// window leaves out, and windows the ReLU stopped get zero. With `sums`, also writes (or with
    /// `accumulate`, adds) each row's sum of the gradient that passed: the bias gradient.
    func scatterPooled(
        _ gradient: UnsafePointer<Float>, winners: UnsafeRawPointer, rows: Int, samples: Range<Int>,
        into wide: UnsafeMutablePointer<Float>, rowStride: Int, sums: UnsafeMutablePointer<Float>?,
        accumulate: Bool = false
    ) {
        let (height, width) = (base.outputHeight / 2, base.outputWidth / 2)
        let samplePlane = planeHeight * planeWidth
        for row in 0..<rows {
            var sum: Float = 0
            var index = (row * batch + samples.lowerBound) * height * width
            for sample in samples {
                let plane = wide + row * rowStride + (sample - samples.lowerBound) * samplePlane
                for y in 0..<height {
                    let top = plane + 2 * y * planeWidth
                    let bottom = top + planeWidth
                    var x = 0
                    while x < width && width >= 8 {
                        // The last eight windows overlap the ones before (see `poolRow`); their
                        // sum leaves out the windows already counted.
                        let start = min(x, width - 8)
                        let (at, skip) = (index - (x - start), UInt32(x - start))
                        sum += Self.scatter8(
                            gradient + at, winners + at, top + 2 * start, bottom + 2 * start, skip: skip)
                        (x, index) = (start + 8, at + 8)
                    }
                    for x in x..<width {
                        let value = gradient[index].bitPattern
                        let code = winners.load(fromByteOffset: index, as: UInt8.self)
                        top[2 * x] = Self.kept(value, code == 0)
                        top[2 * x + 1] = Self.kept(value, code == 1)
                        bottom[2 * x] = Self.kept(value, code == 2)
                        bottom[2 * x + 1] = Self.kept(value, code == 3)
                        sum += Self.kept(value, code < 4)
                        index += 1
                    }
                    if base.outputWidth % 2 == 1 {
                        top[2 * width] = 0
                        bottom[2 * width] = 0
                    }
                }
                if base.outputHeight % 2 == 1 {
                    (plane + 2 * height * planeWidth).update(repeating: 0, count: base.outputWidth)
                }
            }
            if let sums { sums[row] = accumulate ? sums[row] + sum : sum }
        }
    }
}
