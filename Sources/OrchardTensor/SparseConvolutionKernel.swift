/// A 2-D convolution with a sparse weight [Cout, Cin * kh * kw] over channel-major activations.
///
/// There is no im2col: at a density of 1% the unfolded columns would cost far more than the
/// arithmetic. Instead the input is padded once and split into "phase planes" (see
/// `PhaseGeometry`): phase (a, b) of a channel holds the padded rows a, a + s, ... and columns b,
/// b + s, ... of every sample, one plane of N x Hq x Wq values. The output is computed in the same
/// "wide" layout, [Cout][N x Hq x Wq], with the valid Ho x Wo outputs at the top left of each
/// sample's Hq x Wq block and garbage elsewhere. A kept weight (o, ci, ky, kx) of value v is then
/// one batch-long axpy,
///
///     wide[o][j] += v * phase[ci][(ky % s, kx % s)][j + (ky / s) * Wq + kx / s],
///
/// and the valid outputs are copied out tile by tile. Backward spreads dY into the wide layout with
/// zeros at the garbage positions, so a kept weight's gradient is one dot product of dY's wide row
/// with the shifted phase plane, and the phase-plane gradients (then un-split and cropped into dX)
/// are the transposed axpys, phaseGradient[ci][phase][j] += v * dYwide[o][j - shift]; all of it a
/// tile of positions at a time (`backwardTiled`), so that neither the wide dY nor the phase-plane
/// gradients are formed whole. The axpys run
/// gathered by target plane, the entries regrouped once per pattern: adding them in place instead
/// (each entry a read-modify-write of its shifted run) was 2.5x slower than the forward pass at
/// 30% density, as neighbouring shifts of one plane stall on each other's stores. Time goes with
/// kept weights times N x Hq x Wq, plus copies of the activations; nothing of the dense weight's or
/// the column matrix's size is formed.
///
/// `forward` keeps the phase planes of its input in a workspace of its own, which `backward` and
/// `gradient(at:count:outputGradient:into:)` read. The buffers needed only inside one call (a tile
/// of the wide output, of the wide dY and of the phase-plane gradients) come from a `SparseWorkspace`, which the
/// kernels of a network share. A kernel reuses its buffers while the shapes stay the same and is
/// not thread-safe; one layer should own one.
public final class SparseConvolutionKernel {
    /// The input shape and window.
    public let geometry: ConvolutionGeometry
    public let outputChannels: Int

    /// Where the buffers that do not outlive a call live: the wide output in `forward`, the wide dY
    /// and the phase-plane gradients in `backward`.
    public let workspace: SparseWorkspace
    var phases: Tensor?
    /// Whether `phases` holds planes that share their padding (`PhaseGeometry.sharesPadding`).
    private var phasesSharePadding = false
    /// Floats of one tile's buffers in the tiled backward pass (`PositionTiles.budget`; tests shrink it).
    var tileBudget = PositionTiles.budget
    private var columnOffsets: IndexStorage?
    private var columnOffsetsKey = (batch: -1, planeStride: -1)
    private var entryOffsetStorage: IndexStorage?
    /// The pattern and batch `transposed` was built for.
    private var transposedPattern: SparsePattern?
    private var transposedKey = (batch: -1, rowStride: -1)
    private var transposed: TransposedEntries?
    private var transposedValues: Tensor?
    /// The batch of the last forward pass, whose phase planes are saved; -1 before the first.
    var savedBatch = -1
    /// Whether a backward pass followed the last forward pass.
    var hasGradient = false
    /// Whether the last forward pass was `forwardPooled`, whose dY is the pooled output's.
    var isPooled = false
    /// Each pooled output's winner (`PhaseGeometry.pool`), one byte each, from `forwardPooled`.
    var winners: IndexStorage?
    /// Whether the last backward pass formed the wide dY (a pooled one without dX does not).
    var holdsWideGradient = true
    /// The workspace's stamp when this kernel last filled its wide dY: still there if unchanged.
    var gradientStamp = -1

    /// Creates a kernel for inputs of `geometry` and a weight of `outputChannels` rows, taking its
    /// per-call buffers from `workspace` (by default one of its own).
    public init(geometry: ConvolutionGeometry, outputChannels: Int, workspace: SparseWorkspace = SparseWorkspace()) {
        precondition(geometry.stride >= 1, "SparseConvolutionKernel needs a positive stride")
        self.geometry = geometry
        self.outputChannels = outputChannels
        self.workspace = workspace
    }

    /// The columns of the weight matrix: Cin x kh x kw.
    public var patchSize: Int { geometry.patchSize }

    /// Writes the convolution of `input` [Cin, N, H, W] into `output` [Cout, N, Ho, Wo].
    ///
    /// Keeps the input's phase planes for `backward`.
    public func forward(_ pattern: SparsePattern, values: UnsafePointer<Float>, input: Tensor, output: Tensor) {
        multiply(pattern, values: values, prepare(pattern, input: input, pooled: false), into: output)
    }

    /// The products from the saved phase planes of `p`, their valid outputs copied into `output`.
    func multiply(_ pattern: SparsePattern, values: UnsafePointer<Float>, _ p: PhaseGeometry, into output: Tensor) {
        precondition(
            output.shape == [outputChannels, p.batch, geometry.outputHeight, geometry.outputWidth],
            "SparseConvolutionKernel output is \(output.shape), not [\(outputChannels), \(p.batch), "
                + "\(geometry.outputHeight), \(geometry.outputWidth)]")
        // The wide output is made one tile at a time and its valid outputs copied out while the
        // tile is in cache: a full-length wide output would be written to memory and read back.
        // Every position of a tile is written, so the shared scratch needs no clearing.
        let tile = min(p.tile, p.wideLength)
        let scratch = workspace.scratch(count: outputChannels * tile)
        SparseRuns.multiplyByTile(
            rows: outputChannels, rowStarts: pattern.rowStarts, offsets: entryOffsets(pattern, p), values: values,
            source: phases!.data, scratch: scratch, length: p.wideLength, tile: p.tile
        ) { start, run in
            p.compact(scratch, rows: outputChannels, rowStride: tile, start: start, count: run, into: output.data)
        }
    }

    /// Checks the pattern and input, splits the input into the saved phase planes and returns their geometry.
    ///
    /// `pooled`: whether the pass is `forwardPooled`, whose planes keep their own padding.
    func prepare(_ pattern: SparsePattern, input: Tensor, pooled: Bool) -> PhaseGeometry {
        check(pattern)
        let g = geometry
        precondition(
            input.shape.count == 4 && input.shape[0] == g.channels && input.shape[2] == g.height
                && input.shape[3] == g.width,
            "SparseConvolutionKernel for \(g.channels)x\(g.height)x\(g.width) got input \(input.shape)")
        let (p, phases) = planes(batch: input.shape[1], pooled: pooled)
        p.split(input.data, into: phases)
        return p
    }

    /// The saved phase planes for `batch` samples, their padding zero, to be filled with an input's image.
    func planes(batch: Int, pooled: Bool) -> (PhaseGeometry, UnsafeMutablePointer<Float>) {
        isPooled = pooled
        let p = phaseGeometry(batch: batch)
        // A batch of another size releases the old planes before allocating the new ones (nothing
        // of them is kept: split rewrites the image, the padding is the new buffer's zeros), so
        // that they do not add to the layers' outputs the next layer still holds at the old size.
        // Nor is a buffer of the other layout reused, whose zeros lie elsewhere (parity planes are [1, count]).
        if self.phases?.shape != [p.bufferCount] || phasesSharePadding != p.sharesPadding { self.phases = nil }
        phasesSharePadding = p.sharesPadding
        let phases = Tensor.reusing(self.phases, shape: [p.bufferCount], role: .workspace)
        self.phases = phases
        savedBatch = p.batch
        hasGradient = false
        return (p, phases.data)
    }

    /// Computes dW at the kept entries into `weightGradientValues` and, unless `inputGradient` is
    /// nil, dX into `inputGradient` [Cin, N, H, W] (overwritten, or added to with `adding`).
    ///
    /// Needs the last `forward` (its saved phase planes) on the batch of `outputGradient` [Cout, N, Ho, Wo].
    public func backward(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, outputGradient: Tensor, inputGradient: Tensor?,
        weightGradientValues: UnsafeMutablePointer<Float>, adding: Bool = false
    ) {
        check(pattern)
        let g = geometry
        let batch = outputGradient.shape.count == 4 ? outputGradient.shape[1] : -1
        precondition(
            !isPooled && outputGradient.shape == [outputChannels, batch, g.outputHeight, g.outputWidth],
            "SparseConvolutionKernel output gradient is \(outputGradient.shape)")
        if let inputGradient {
            precondition(
                inputGradient.shape == [g.channels, batch, g.height, g.width], "SparseConvolutionKernel dX shape")
        }
        backwardTiled(
            pattern, values: values, outputGradient: outputGradient, inputGradient: inputGradient,
            weightGradientValues: weightGradientValues, adding: adding)
    }

    /// The geometry of the saved phase planes, which must be of `batch` samples.
    func savedGeometry(batch: Int) -> PhaseGeometry {
        guard phases != nil, savedBatch == batch else {
            preconditionFailure("SparseConvolutionKernel.backward needs a forward pass on a batch of \(batch)")
        }
        return phaseGeometry(batch: batch)
    }

    /// The layout of phase planes for `batch` samples: padding shared unless pooled.
    func phaseGeometry(batch: Int) -> PhaseGeometry {
        PhaseGeometry(geometry, batch: batch, sharesPadding: !isPooled)
    }

    /// dW at the kept entries and dX (if asked) from dY in the wide layout.
    func backward(
        _ pattern: SparsePattern, values: UnsafePointer<Float>, wide: UnsafeMutablePointer<Float>, _ p: PhaseGeometry,
        inputGradient: Tensor?, _ weightGradientValues: UnsafeMutablePointer<Float>
    ) {
        hasGradient = true
        holdsWideGradient = true
        SparseRuns.entryDots(
            rows: outputChannels, rowStarts: pattern.rowStarts, offsets: entryOffsets(pattern, p),
            gradient: wide + p.gradientMargin, gradientStride: p.gradientStride, source: phases!.data,
            sums: weightGradientValues, length: p.wideLength, tile: p.tile)
        guard let inputGradient else { return }
        let g = geometry
        precondition(
            inputGradient.shape == [g.channels, p.batch, g.height, g.width], "SparseConvolutionKernel dX shape")
        let planes = workspace.scratch(count: p.planes * p.wideLength)
        let (entries, gathered) = self.gathered(pattern, values: values, p, rowStride: p.gradientStride)
        // Every plane position is written, so the buffer needs no clearing.
        SparseRuns.multiply(
            rows: p.planes, rowStarts: entries.starts.base, offsets: entries.offsets.base, values: gathered,
            source: wide, target: planes, targetStride: p.wideLength, length: p.wideLength,
            tile: SparseRuns.tileLength(sourceRuns: outputChannels))
        p.merge(planes, into: inputGradient.data)
    }

    /// Writes dL/dW at `count` arbitrary flat positions (`o * patchSize + column`) of the dense weight.
    ///
    /// Valid after `backward`, with the `outputGradient` it got: it reads the saved phase planes of
    /// the input and spreads dY out again tile by tile (after a pooled pass, it reads the wide dY
    /// the workspace still holds if no other kernel used it since). Meant for choosing which pruned
    /// positions to regrow; positions need not be kept, sorted or distinct.
    public func gradient(
        at flatPositions: UnsafePointer<Int32>, count: Int, outputGradient: Tensor,
        into gradients: UnsafeMutablePointer<Float>
    ) {
        guard let phases, hasGradient else {
            preconditionFailure("SparseConvolutionKernel.gradient(at:) needs a forward and a backward pass")
        }
        let p = phaseGeometry(batch: savedBatch)
        let (height, width) = (geometry.outputHeight, geometry.outputWidth)
        let expected =
            isPooled
            ? [outputChannels, savedBatch, height / 2, width / 2] : [outputChannels, savedBatch, height, width]
        precondition(
            outputGradient.shape == expected, "SparseConvolutionKernel.gradient(at:) got dY \(outputGradient.shape)")
        let patch = patchSize
        for index in 0..<count {
            let position = Int(flatPositions[index])
            precondition(
                position >= 0 && position < outputChannels * patch, "position \(position) outside the weight")
        }
        guard isPooled else {
            tiledGradient(at: flatPositions, count: count, outputGradient: outputGradient, into: gradients)
            return
        }
        if !holdsWideGradient {
            tiledGradient(at: flatPositions, count: count, pooledGradient: outputGradient, p, into: gradients)
            return
        }
        let wide = workspace.gradient(ifStamp: gradientStamp) ?? UnsafePointer(pooledGradient(outputGradient, p))
        let table = columnTable(p)
        for index in 0..<count {
            let (row, column) = Int(flatPositions[index]).quotientAndRemainder(dividingBy: patch)
            gradients[index] = SparseRuns.dot(
                wide + row * p.gradientStride + p.gradientMargin, phases.data + Int(table[column]),
                length: p.wideLength)
        }
    }

    func check(_ pattern: SparsePattern) {
        precondition(
            pattern.rows == outputChannels && pattern.columns == patchSize,
            "SparseConvolutionKernel with a \(outputChannels)x\(patchSize) weight got a "
                + "\(pattern.rows)x\(pattern.columns) pattern")
    }

    /// Each weight column's run start in phase planes `planeStride` apart (by default the saved
    /// planes' `wideLength`), recomputed when the batch or the stride changes.
    func columnTable(_ p: PhaseGeometry, planeStride: Int? = nil) -> UnsafePointer<Int32> {
        let key = (batch: p.batch, planeStride: planeStride ?? p.wideLength)
        if let columnOffsets, columnOffsetsKey == key { return UnsafePointer(columnOffsets.base) }
        let storage = IndexStorage.reusing(columnOffsets, count: patchSize, role: .workspace)
        p.fillColumnOffsets(storage.base, planeStride: key.planeStride)
        columnOffsets = storage
        columnOffsetsKey = key
        return UnsafePointer(storage.base)
    }

    /// The kept entries grouped by the phase plane their input-gradient run writes, for a dY of
    /// rows `rowStride` apart, and their values gathered in that order.
    ///
    /// The grouping is built once per pattern, batch and stride; the values are gathered per call.
    func gathered(_ pattern: SparsePattern, values: UnsafePointer<Float>, _ p: PhaseGeometry, rowStride: Int)
        -> (TransposedEntries, UnsafePointer<Float>)
    {
        let key = (batch: p.batch, rowStride: rowStride)
        var entries: TransposedEntries
        if let transposed, transposedPattern === pattern, transposedKey == key {
            entries = transposed
        } else {
            entries = TransposedEntries(pattern, p, rowStride: rowStride)
            (transposed, transposedPattern, transposedKey) = (entries, pattern, key)
        }
        let gathered = Tensor.reusing(transposedValues, shape: [pattern.count], role: .workspace)
        transposedValues = gathered
        for entry in 0..<pattern.count { gathered[entry] = values[Int(entries.source.base[entry])] }
        return (entries, UnsafePointer(gathered.data))
    }

    /// Each kept entry's run start in the phase planes (`planeStride` as in `columnTable`).
    func entryOffsets(_ pattern: SparsePattern, _ p: PhaseGeometry, planeStride: Int? = nil) -> UnsafePointer<Int32> {
        let table = columnTable(p, planeStride: planeStride)
        let storage = IndexStorage.reusing(entryOffsetStorage, count: pattern.count, role: .workspace)
        entryOffsetStorage = storage
        let columns = pattern.columnIndices
        for entry in 0..<pattern.count { storage.base[entry] = table[Int(columns[entry])] }
        return UnsafePointer(storage.base)
    }
}

/// The kept entries of a convolution weight as rows of the input-gradient product: row `plane` lists
/// the entries whose column reads that phase plane, each with its run start in a dY of rows
/// `rowStride` apart with the gradient margin in front (row o's data minus the entry's shift) and
/// its index in the pattern's value order.
struct TransposedEntries {
    let starts: IndexStorage
    let offsets: IndexStorage
    let source: IndexStorage

    init(_ pattern: SparsePattern, _ p: PhaseGeometry, rowStride: Int) {
        precondition(
            pattern.rows * rowStride <= Int(Int32.max), "SparseConvolutionKernel dY exceeds Int32 offsets")
        starts = IndexStorage(count: p.planes + 1, role: .workspace)
        offsets = IndexStorage(count: pattern.count, role: .workspace)
        source = IndexStorage(count: pattern.count, role: .workspace)
        let placement = (0..<pattern.columns).map { p.plane(ofColumn: $0) }
        for entry in 0..<pattern.count { starts.base[placement[Int(pattern.columnIndices[entry])].plane + 1] += 1 }
        for plane in 0..<p.planes { starts.base[plane + 1] += starts.base[plane] }
        var cursor = (0..<p.planes).map { Int(starts.base[$0]) }
        for row in 0..<pattern.rows {
            for entry in Int(pattern.rowStarts[row])..<Int(pattern.rowStarts[row + 1]) {
                let (plane, shift) = placement[Int(pattern.columnIndices[entry])]
                let slot = cursor[plane]
                cursor[plane] += 1
                offsets.base[slot] = Int32(row * rowStride + p.gradientMargin - shift)
                source.base[slot] = Int32(entry)
            }
        }
    }
}

extension SparseConvolutionKernel {
    /// Bytes of each workspace a kernel holds itself after a forward and backward pass, for footprints.
    ///
    /// Mirrors the allocations above: the phase planes of the input and the Int32 offset tables
    /// (one per weight column, one per kept entry); with dX, also the entries regrouped by phase
    /// plane and their gathered values; pooled (`forwardPooled`), the winners' bytes. The per-call
    /// buffers are the workspace's (`workspaceNeed`).
    /// - Parameters:
    ///   - kept: the pattern's kept entries.
    ///   - inputGradient: whether the backward pass computes dX.
    ///   - pooled: whether the passes are `forwardPooled` and `backwardPooled`.
    public static func workspaceBytes(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int, kept: Int, inputGradient: Bool,
        pooled: Bool = false
    ) -> [Int] {
        if pooled, let q = ParityGeometry(geometry, batch: batch) {
            return q.workspaceBytes(rows: outputChannels, kept: kept)
        }
        let p = PhaseGeometry(geometry, batch: batch, sharesPadding: !pooled)
        var values = [p.bufferCount]
        var offsets = [geometry.patchSize, kept]
        if inputGradient {
            values.append(kept)
            offsets += [p.planes + 1, kept, kept]
        }
        if pooled { offsets.append(p.winnerWords(rows: outputChannels)) }
        return values.map { $0 * MemoryLayout<Float>.stride } + offsets.map { $0 * MemoryLayout<Int32>.stride }
    }

    /// What a kernel asks of its `SparseWorkspace` in a forward and backward pass: one tile of the
    /// wide output in the scratch, and for the backward pass one tile's buffers (`PositionTiles`);
    /// pooled, the phase-plane gradients with dX in the scratch and the wide dY with its margins.
    public static func workspaceNeed(
        geometry: ConvolutionGeometry, outputChannels: Int, batch: Int, inputGradient: Bool, pooled: Bool = false
    ) -> SparseWorkspace.Need {
        if pooled, let q = ParityGeometry(geometry, batch: batch) {
            return q.workspaceNeed(rows: outputChannels, inputGradient: inputGradient)
        }
        let p = PhaseGeometry(geometry, batch: batch, sharesPadding: !pooled)
        if !pooled {
            let backward = PositionTiles(p, outputs: outputChannels).scratchCount(
                outputs: outputChannels, inputGradient: inputGradient)
            return SparseWorkspace.Need(scratch: max(outputChannels * min(p.tile, p.wideLength), backward))
        }
        let forward = outputChannels * p.sampleTileStride(rows: outputChannels)
        let scratch = inputGradient ? max(forward, p.planes * p.wideLength) : forward
        // Pooled without dX, dY is spread out a tile at a time in the scratch, never whole.
        let gradient = inputGradient ? outputChannels * p.gradientStride : 0
        return SparseWorkspace.Need(scratch: scratch, gradient: gradient)
    }
}
