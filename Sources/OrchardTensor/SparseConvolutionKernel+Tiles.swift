/// The backward pass a tile of wide positions at a time.
///
/// Backward used to spread all of dY into a wide dY (written to memory, then read by the
/// weight-gradient dots and again by the input-gradient products) and to write all the
/// phase-plane gradients before merging them into dX: four activation-sized passes through
/// memory per layer besides the reads of dY and the phase planes and the write of dX. Here each
/// tile of positions (`PositionTiles`) spreads out its dY (the gradient margin before it
/// included), takes the dots, computes its phase-plane gradients and merges them into dX while
/// the tile's buffers are in L2, and no full wide dY or phase-plane gradient is formed.
extension SparseConvolutionKernel {
    /// dW at the kept entries and dX (if asked; added to it with `adding`) from dY [Cout, N, Ho, Wo]
    /// and the saved phase planes.
    func backwardTiled(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, outputGradient: Tensor, inputGradient: Tensor?,
        weightGradientValues: UnsafeMutablePointer<Float>, adding: Bool
    ) {
        let p = savedGeometry(batch: outputGradient.shape[1])
        hasGradient = true
        let source = phases!.data
        let tiles = PositionTiles(p, outputs: outputChannels, budget: tileBudget)
        let scratch = workspace.scratch(
            count: tiles.scratchCount(outputs: outputChannels, inputGradient: inputGradient != nil))
        let planeGradients = scratch + outputChannels * tiles.gradientStride
        let offsets = entryOffsets(pattern, p)
        weightGradientValues.update(repeating: 0, count: pattern.count)
        let transposed =
            inputGradient == nil ? nil : gathered(pattern, values: values, p, rowStride: tiles.gradientStride)
        if let inputGradient, !adding, p.phaseRows < geometry.stride || p.phaseColumns < geometry.stride {
            // Inputs in phases no kernel offset reads get no gradient and no plane: zero, or left as they are.
            inputGradient.data.update(repeating: 0, count: inputGradient.count)
        }
        tiles.forEach(p) { start, run in
            spread(outputGradient, p, tiles, start: start, run: run, into: scratch)
            SparseRuns.entryDots(
                rows: outputChannels, rowStarts: pattern.rowStarts, offsets: offsets,
                gradient: scratch + p.gradientMargin, gradientStride: tiles.gradientStride, source: source + start,
                sums: weightGradientValues, length: run, tile: run, accumulate: true)
            guard let inputGradient, let transposed else { return }
            let entries = transposed.0
            SparseRuns.multiply(
                rows: p.planes, rowStarts: entries.starts.base, offsets: entries.offsets.base, values: transposed.1,
                source: scratch, target: planeGradients, targetStride: tiles.length, length: run, tile: run)
            p.mergeTile(
                planeGradients, start: start, count: run, planeStride: tiles.length, into: inputGradient.data,
                adding: adding)
        }
    }

    /// `gradient(at:count:outputGradient:into:)` after `backward`: the dots tile by tile.
    func tiledGradient(
        at flatPositions: UnsafePointer<Int32>, count: Int, outputGradient: Tensor,
        into gradients: UnsafeMutablePointer<Float>
    ) {
        let p = phaseGeometry(batch: savedBatch)
        let source = phases!.data
        let tiles = PositionTiles(p, outputs: outputChannels, budget: tileBudget)
        let scratch = workspace.scratch(count: tiles.scratchCount(outputs: outputChannels, inputGradient: false))
        let table = columnTable(p)
        gradients.update(repeating: 0, count: count)
        tiles.forEach(p) { start, run in
            spread(outputGradient, p, tiles, start: start, run: run, into: scratch)
            for index in 0..<count {
                let (row, column) = Int(flatPositions[index]).quotientAndRemainder(dividingBy: patchSize)
                gradients[index] += SparseRuns.dot(
                    scratch + row * tiles.gradientStride + p.gradientMargin, source + start + Int(table[column]),
                    length: run)
            }
        }
    }

    /// Spreads out a tile's dY, the margin before it included, into `tile` [Cout][gradientStride].
    private func spread(
        _ outputGradient: Tensor, _ p: PhaseGeometry, _ tiles: PositionTiles, start: Int, run: Int,
        into tile: UnsafeMutablePointer<Float>
    ) {
        p.expandTile(
            outputGradient.data, rows: outputChannels, start: start - p.gradientMargin, count: p.gradientMargin + run,
            into: tile, rowStride: tiles.gradientStride)
    }
}
