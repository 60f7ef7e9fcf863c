/// The fused convolution, ReLU and 2x2 max pool at stride 1, computed in the parity layout of
/// `ParityGeometry`: each kept weight is four axpys (one per position in the pooling window) over
/// runs of input planes split by parity, the pool a vector maximum of the four output phases, and
/// its backward pass four vector selects. The interleaved wide layout of the other strides pooled
/// windows two floats apart, in rows as narrow as five windows (LeNet conv2), and its pooling and
/// scatter took a third of LeNet-5's step at 5% density.
///
/// The kernel's own buffers: the input's parity planes in `phases` (shape [1, count], so that the
/// other layout, whose padding zeros differ, never reuses them), and in `winners` the winner bytes
/// [Cout][winnerStride] followed by four tables of run offsets per kept entry, one per phase.
extension SparseConvolutionKernel {
    func forwardParity(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, bias: UnsafePointer<Float>?, input: Tensor,
        output: Tensor, _ q: ParityGeometry
    ) {
        check(pattern)
        let g = geometry
        precondition(
            input.shape == [g.channels, q.batch, g.height, g.width],
            "SparseConvolutionKernel for \(g.channels)x\(g.height)x\(g.width) got input \(input.shape)")
        precondition(
            output.shape == [outputChannels, q.batch, q.pooledHeight, q.pooledWidth],
            "SparseConvolutionKernel pooled output is \(output.shape), not [\(outputChannels), \(q.batch), "
                + "\(q.pooledHeight), \(q.pooledWidth)]")
        let key = [1, q.bufferCount]
        if phases?.shape != key { phases = nil }
        let buffer = Tensor.reusing(phases, shape: key, role: .workspace)
        phases = buffer
        q.split(input.data, into: buffer.data)
        (savedBatch, hasGradient, isPooled, holdsWideGradient) = (q.batch, false, true, false)
        let offsets = parityOffsets(pattern, q)
        let rows = outputChannels
        let stride = q.tileStride(rows: rows)
        let scratch = workspace.scratch(count: 4 * rows * stride)
        q.forEachTile(rows: rows) { first, count in
            let run = SparseRuns.roundedUp(count * q.sampleLength)
            for phase in 0..<4 {
                SparseRuns.multiply(
                    rows: rows, rowStarts: pattern.rowStarts, offsets: offsets + phase * pattern.count, values: values,
                    source: buffer.data + first * q.sampleLength, target: scratch + phase * rows * stride,
                    targetStride: stride, length: run, tile: run)
            }
            q.pool(
                scratch, rows: rows, rowStride: stride, samples: first..<first + count, bias: bias,
                into: output.data, winners: UnsafeMutableRawPointer(winners!.base))
        }
    }

    func backwardParity(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, outputGradient: Tensor, inputGradient: Tensor?,
        weightGradientValues: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
        _ q: ParityGeometry
    ) {
        (hasGradient, holdsWideGradient) = (true, false)
        let offsets = parityOffsets(pattern, q)
        let source = phases!.data
        guard let inputGradient else {
            forEachParityTile(outputGradient, q, sums: biasGradient) { tile, stride, first, run in
                for phase in 0..<4 {
                    SparseRuns.entryDots(
                        rows: outputChannels, rowStarts: pattern.rowStarts, offsets: offsets + phase * pattern.count,
                        gradient: tile + phase * outputChannels * stride, gradientStride: stride,
                        source: source + first * q.sampleLength, sums: weightGradientValues, length: run, tile: run,
                        accumulate: first > 0 || phase > 0)
                }
            }
            return
        }
        let g = geometry
        precondition(
            inputGradient.shape == [g.channels, q.batch, g.height, g.width], "SparseConvolutionKernel dX shape")
        let (rows, length, stride) = (outputChannels, q.runLength, q.gradientStride)
        let (wide, stamp, _) = workspace.claimGradient(q.gradientLayout(rows: rows))
        gradientStamp = stamp
        for row in 0..<4 * rows { (wide + row * stride).update(repeating: 0, count: q.gradientMargin) }
        let gradient = wide + q.gradientMargin
        q.scatter(
            outputGradient.data, winners: UnsafeRawPointer(winners!.base), rows: rows, samples: 0..<q.batch,
            into: gradient, rowStride: stride, sums: biasGradient, accumulate: false)
        for phase in 0..<4 {
            SparseRuns.entryDots(
                rows: rows, rowStarts: pattern.rowStarts, offsets: offsets + phase * pattern.count,
                gradient: gradient + phase * rows * stride, gradientStride: stride, source: source,
                sums: weightGradientValues, length: length, tile: SparseRuns.tileLength(sourceRuns: q.planes),
                accumulate: phase > 0)
        }
        // dX in the parity layout, gathered by input plane: every position written once, no zeros first.
        let entries = transposedParityEntries(pattern, values: values, q)
        let planes = workspace.scratch(count: q.planes * length)
        SparseRuns.multiply(
            rows: q.planes, rowStarts: entries.starts, offsets: entries.offsets, values: entries.values,
            source: wide, target: planes, targetStride: length, length: length,
            tile: SparseRuns.tileLength(sourceRuns: 4 * rows))
        q.merge(planes, into: inputGradient.data)
    }

    /// `gradient(at:count:outputGradient:into:)` after a pooled backward pass in the parity layout.
    func parityGradient(
        at flatPositions: UnsafePointer<Int32>, count: Int, pooledGradient: Tensor, _ q: ParityGeometry,
        into gradients: UnsafeMutablePointer<Float>
    ) {
        gradients.update(repeating: 0, count: count)
        forEachParityTile(pooledGradient, q, sums: nil) { tile, stride, first, run in
            let source = phases!.data + first * q.sampleLength
            for index in 0..<count {
                let (row, column) = Int(flatPositions[index]).quotientAndRemainder(dividingBy: patchSize)
                for phase in 0..<4 {
                    gradients[index] += SparseRuns.dot(
                        tile + (phase * outputChannels + row) * stride,
                        source + Int(q.offset(ofColumn: column, phase: phase)), length: run)
                }
            }
        }
    }

    /// Spreads the pooled dY of a few whole samples at a time into the four output phases of a
    /// tile in the scratch, and calls `body(tile, stride, first sample, run)` on each.
    private func forEachParityTile(
        _ pooledGradient: Tensor, _ q: ParityGeometry, sums: UnsafeMutablePointer<Float>?,
        _ body: (UnsafeMutablePointer<Float>, Int, Int, Int) -> Void
    ) {
        let rows = outputChannels
        let stride = q.tileStride(rows: rows)
        let tile = workspace.scratch(count: 4 * rows * stride)
        q.forEachTile(rows: rows) { first, count in
            q.scatter(
                pooledGradient.data, winners: UnsafeRawPointer(winners!.base), rows: rows,
                samples: first..<first + count, into: tile, rowStride: stride, sums: sums, accumulate: first > 0)
            body(tile, stride, first, SparseRuns.roundedUp(count * q.sampleLength))
        }
    }

    /// The four phases' run offsets of every kept entry, in `winners` after the winner bytes and
    /// the invalid-position mask (written here too): allocated here with room for
    /// `transposedParityEntries`, as the table grows with the pattern.
    private func parityOffsets(_ pattern: SparsePattern, _ q: ParityGeometry) -> UnsafePointer<Int32> {
        let codeWords = q.winnerWords(rows: outputChannels)
        let storage = IndexStorage.reusing(
            winners, count: codeWords + ParityGeometry.tableWords(planes: q.planes, kept: pattern.count),
            role: .workspace)
        winners = storage
        let mask = UnsafeMutableRawPointer(storage.base).advanced(by: outputChannels * q.winnerStride)
        q.writeInvalidMask(mask.assumingMemoryBound(to: UInt8.self), rows: outputChannels)
        let table = storage.base + codeWords
        for phase in 0..<4 {
            for entry in 0..<pattern.count {
                table[phase * pattern.count + entry] = q.offset(
                    ofColumn: Int(pattern.columnIndices[entry]), phase: phase)
            }
        }
        return UnsafePointer(table)
    }

    /// The products of dX by input plane, as a sparse matrix over the four phases of dY.
    ///
    /// Row t lists each (entry, phase) whose run reads input plane t, with its run start in the
    /// four phases of dY (its row's data minus the shift) and its value. Rebuilt each call from the offsets `parityOffsets` wrote, in `winners` after them.
    private func transposedParityEntries(_ pattern: SparsePattern, values: UnsafePointer<Float>, _ q: ParityGeometry)
        -> (starts: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>, values: UnsafePointer<Float>)
    {
        let kept = pattern.count
        let forward = winners!.base + q.winnerWords(rows: outputChannels)
        let starts = forward + 4 * kept
        let offsets = starts + q.planes + 1
        let gathered = UnsafeMutableRawPointer(offsets + 4 * kept).bindMemory(to: Float.self, capacity: 4 * kept)
        starts.update(repeating: 0, count: q.planes + 1)
        for index in 0..<4 * kept { starts[Int(forward[index]) / q.planeLength + 1] += 1 }
        for plane in 0..<q.planes { starts[plane + 1] += starts[plane] }
        for phase in 0..<4 {
            for row in 0..<outputChannels {
                for entry in Int(pattern.rowStarts[row])..<Int(pattern.rowStarts[row + 1]) {
                    let (plane, shift) = Int(forward[phase * kept + entry]).quotientAndRemainder(
                        dividingBy: q.planeLength)
                    let slot = Int(starts[plane])
                    starts[plane] += 1
                    offsets[slot] = Int32((phase * outputChannels + row) * q.gradientStride + q.gradientMargin - shift)
                    gathered[slot] = values[entry]
                }
            }
        }
        // Each start advanced to the next plane's: shift them back.
        for plane in stride(from: q.planes, to: 0, by: -1) { starts[plane] = starts[plane - 1] }
        starts[0] = 0
        return (UnsafePointer(starts), UnsafePointer(offsets), UnsafePointer(gathered))
    }
}

extension ParityGeometry {
    /// The positions `scatter` fills for `rows` rows over the whole batch, as a wide-dY claim.
    func gradientLayout(rows: Int) -> WideLayout {
        WideLayout(
            rows: 4 * rows, rowStride: gradientStride, margin: gradientMargin, batch: batch, samplePlane: sampleLength,
            planeWidth: halfWidth, outputHeight: pooledHeight, outputWidth: pooledWidth)
    }

    /// Int32 words of the tables after the winners: the four phases' offsets per kept entry, and
    /// the input gradient's starts per plane, offsets and values per entry and phase.
    static func tableWords(planes: Int, kept: Int) -> Int { 4 * kept + planes + 1 + 8 * kept }

    /// Bytes of the buffers a kernel holds itself: the parity planes, and the winners with the tables.
    func workspaceBytes(rows: Int, kept: Int) -> [Int] {
        let words = winnerWords(rows: rows) + Self.tableWords(planes: planes, kept: kept)
        return [bufferCount * MemoryLayout<Float>.stride, words * MemoryLayout<Int32>.stride]
    }

    /// What a kernel asks of its `SparseWorkspace`: a tile of four output phases in the scratch,
    /// and with dX the parity-plane gradients there and the batch's four phases of dY.
    func workspaceNeed(rows: Int, inputGradient: Bool) -> SparseWorkspace.Need {
        let tile = 4 * rows * tileStride(rows: rows)
        guard inputGradient else { return SparseWorkspace.Need(scratch: tile) }
        return SparseWorkspace.Need(scratch: max(tile, planes * runLength), gradient: 4 * rows * gradientStride)
    }
}
