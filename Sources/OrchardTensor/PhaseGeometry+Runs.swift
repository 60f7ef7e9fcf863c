/// The layout copies of `SparseConvolutionKernel` as tables of runs.
///
/// Every copy between the compact layout [C, N, H, W] and the phase-plane or wide layouts moves the
/// same pieces for every channel (or output row): the part of each plane row, among some wide
/// positions, that holds compact values. The pieces are listed once per call and phase, with the
/// divisions of a position into sample, row and column done once per table, and the copies then
/// run channel by channel through the table in memory order: a tight loop per run instead of a
/// closure, a division and a dozen index computations per row and channel, which cost more than
/// the copies of ResNet's rows of 4 to 32 values.
struct LayoutRun {
    /// The run's first wide position, relative to the start of the positions listed.
    var position: Int
    /// Its first value in one channel of the compact layout.
    var compact: Int
    /// Values in the run.
    var count: Int
}

/// Which positions of a plane hold compact values: plane row y holds compact row
/// y x rowStep + rowOffset (if in 0..<height), and plane columns low..<high hold compact columns
/// image, image + columnStep, ...; a compact sample is height x width values.
struct RunMap {
    let rowStep: Int
    let rowOffset: Int
    let height: Int
    let low: Int
    let high: Int
    let image: Int
    let columnStep: Int
    let width: Int
}

/// Tables of runs side by side, one per map (`PhaseGeometry.withPhaseRuns`).
struct RunTables {
    let runs: UnsafeMutablePointer<LayoutRun>
    let capacity: Int
    let counts: UnsafeMutablePointer<Int>

    subscript(index: Int) -> UnsafeBufferPointer<LayoutRun> {
        UnsafeBufferPointer(start: runs + index * capacity, count: counts[index])
    }
}

extension PhaseGeometry {
    /// Where phase (a, b) holds image values: the input of `split`, the dX of `merge`.
    func imageMap(phase a: Int, _ b: Int) -> RunMap {
        let (low, high, image) = interiorColumns(phase: b)
        return RunMap(
            rowStep: base.stride, rowOffset: a - base.padding, height: base.height, low: low, high: high, image: image,
            columnStep: base.stride, width: base.width)
    }

    /// Where the wide layout holds valid outputs: [N, Ho, Wo] at the top left of each sample's block.
    var outputMap: RunMap {
        RunMap(
            rowStep: 1, rowOffset: 0, height: base.outputHeight, low: 0, high: base.outputWidth, image: 0,
            columnStep: 1, width: base.outputWidth)
    }

    /// Calls `body` with the runs of `map` among positions start..<end (start may be negative),
    /// clipped to the plane's 0..<planeLength, in increasing position.
    @inline(__always)
    func withRuns<Result>(
        _ map: RunMap, from start: Int, to end: Int, _ body: (UnsafeBufferPointer<LayoutRun>) -> Result
    ) -> Result {
        withRuns(maps: 1, { _ in map }, from: start, to: end) { body($0[0]) }
    }

    /// Calls `body` with the runs of the image in every kept phase (a x phaseColumns + b) among
    /// positions start..<end, so that a copy can visit all the phases of a channel's sample while
    /// its image is in L1 (a stride-2 split read the image twice from memory, a phase at a time).
    @inline(__always)
    func withPhaseRuns<Result>(from start: Int, to end: Int, _ body: (RunTables) -> Result) -> Result {
        withRuns(
            maps: phaseRows * phaseColumns, { imageMap(phase: $0 / phaseColumns, $0 % phaseColumns) }, from: start,
            to: end, body)
    }

    /// Calls `body` with the runs of `maps` maps, `map(k)` the k-th, among positions start..<end.
    @inline(__always)
    private func withRuns<Result>(
        maps: Int, _ map: (Int) -> RunMap, from start: Int, to end: Int, _ body: (RunTables) -> Result
    ) -> Result {
        // One run at most per plane row touched.
        let capacity = max(0, min(end, planeLength) - max(start, 0)) / planeWidth + 2
        return withUnsafeTemporaryAllocation(of: LayoutRun.self, capacity: maps * capacity) { buffer in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: maps) { counts in
                for index in 0..<maps {
                    counts[index] = listRuns(
                        map(index), from: start, to: end, into: buffer.baseAddress! + index * capacity)
                }
                return body(RunTables(runs: buffer.baseAddress!, capacity: capacity, counts: counts.baseAddress!))
            }
        }
    }

    /// Writes the runs of `withRuns` into `runs` and returns how many there are.
    private func listRuns(_ map: RunMap, from start: Int, to end: Int, into runs: UnsafeMutablePointer<LayoutRun>)
        -> Int
    {
        let (first, last) = (max(start, 0), min(end, planeLength))
        guard first < last else { return 0 }
        let (sample, within) = first.quotientAndRemainder(dividingBy: planeHeight * planeWidth)
        var (y, x) = within.quotientAndRemainder(dividingBy: planeWidth)
        var (rowStart, currentSample, count) = (first - x, sample, 0)
        while rowStart < last {
            let row = y * map.rowStep + map.rowOffset
            let (from, to) = (max(map.low, first - rowStart), min(map.high, last - rowStart))
            if row >= 0 && row < map.height && from < to {
                let compact = (currentSample * map.height + row) * map.width + map.image
                runs[count] = LayoutRun(
                    position: rowStart + from - start, compact: compact + (from - map.low) * map.columnStep,
                    count: to - from)
                count += 1
            }
            rowStart += planeWidth
            y += 1
            if y == planeHeight { (y, currentSample) = (0, currentSample + 1) }
        }
        return count
    }

    /// Which way `transfer` copies.
    enum Direction {
        case toWide, toCompact
        /// Adds the wide values into the compact ones instead of overwriting them.
        case addingToCompact
    }

    /// Copies every run between `compact` (values `step` apart) and `wide` (contiguous), `direction`
    /// saying which is written.
    @inline(__always)
    static func transfer(
        _ runs: UnsafeBufferPointer<LayoutRun>, compact: UnsafeMutablePointer<Float>,
        wide: UnsafeMutablePointer<Float>, step: Int, _ direction: Direction
    ) {
        for run in runs {
            let (values, line, count) = (compact + run.compact, wide + run.position, run.count)
            // The branches are the same for every run: the loop is unswitched or well predicted.
            switch (direction, step) {
            case (.toWide, 1): SparseRuns.copy(values, line, count: count)
            case (.toCompact, 1): SparseRuns.copy(line, values, count: count)
            case (.addingToCompact, 1): SparseRuns.add(line, into: values, count: count)
            case (.toWide, 2): SparseRuns.gatherPairs(values, line, count: count)
            case (.toCompact, 2): SparseRuns.scatterPairs(line, values, count: count)
            case (.addingToCompact, 2): SparseRuns.addPairs(line, into: values, count: count)
            case (.toWide, _): for index in 0..<count { line[index] = values[index &* step] }
            case (.toCompact, _): for index in 0..<count { values[index &* step] = line[index] }
            case (.addingToCompact, _): for index in 0..<count { values[index &* step] += line[index] }
            }
        }
    }

    /// Writes zeros at positions 0..<count of `wide` outside the runs, and, if `compact` is given,
    /// its values into the runs.
    @inline(__always)
    static func fill(
        _ runs: UnsafeBufferPointer<LayoutRun>, from compact: UnsafePointer<Float>?,
        into wide: UnsafeMutablePointer<Float>, count: Int
    ) {
        var cursor = 0
        for run in runs {
            SparseRuns.clear(wide + cursor, count: run.position - cursor)
            if let compact { SparseRuns.copy(compact + run.compact, wide + run.position, count: run.count) }
            cursor = run.position + run.count
        }
        SparseRuns.clear(wide + cursor, count: count - cursor)
    }
}

extension SparseRuns {
    /// target[t] = source[2 t] for t in 0..<count, reading nothing past source[2 (count - 1)].
    ///
    /// Eight values per 16-value load (its even lanes); the last eight are the odd lanes of a load
    /// one value earlier, so that no load reaches past the run.
    @inline(__always)
    static func gatherPairs(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        guard count >= 9 else {
            if count >= 5 {
                // Rows of 5 to 8 (ResNet's 16-wide stride-2 inputs): the same with 8-value loads.
                storeQuarter(loadHalf(source).evenHalf, target)
                storeQuarter(loadHalf(source + (2 &* count &- 9)).oddHalf, target + (count &- 4))
                return
            }
            for index in 0..<count { target[index] = source[index &* 2] }
            return
        }
        var index = 0
        while index &+ 9 <= count {
            storeHalf(load(source + 2 &* index).evenHalf, target + index)
            index &+= 8
        }
        storeHalf(load(source + (2 &* count &- 17)).oddHalf, target + (count &- 8))
    }

    /// target[2 t] = source[t] for t in 0..<count; the values between are read and written back
    /// unchanged, none past target[2 (count - 1)].
    @inline(__always)
    static func scatterPairs(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
        guard count >= 9 else {
            if count >= 5 {
                let last = target + (2 &* count &- 9)
                var (head, tail) = (loadHalf(target), loadHalf(last))
                head.evenHalf = loadQuarter(source)
                storeHalf(head, target)
                tail.oddHalf = loadQuarter(source + (count &- 4))
                storeHalf(tail, last)
                return
            }
            for index in 0..<count { target[index &* 2] = source[index] }
            return
        }
        var index = 0
        while index &+ 9 <= count {
            var values = load(target + 2 &* index)
            values.evenHalf = loadHalf(source + index)
            store(values, target + 2 &* index)
            index &+= 8
        }
        let last = target + (2 &* count &- 17)
        var values = load(last)
        values.oddHalf = loadHalf(source + (count &- 8))
        store(values, last)
    }

    /// target[t] += source[t] for t in 0..<count, in vectors, inline (no overlapping last vector:
    /// it would add twice).
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index &+ 16 <= count {
            store(load(target + index) + load(source + index), target + index)
            index &+= 16
        }
        if index &+ 8 <= count {
            storeHalf(loadHalf(target + index) + loadHalf(source + index), target + index)
            index &+= 8
        }
        while index < count {
            target[index] += source[index]
            index &+= 1
        }
    }

    /// target[2 t] += source[t] for t in 0..<count, reading and writing nothing past target[2 (count - 1)].
    @inline(__always)
    static func addPairs(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index &+ 9 <= count {
            var values = load(target + 2 &* index)
            values.evenHalf += loadHalf(source + index)
            store(values, target + 2 &* index)
            index &+= 8
        }
        while index < count {
            target[2 &* index] += source[index]
            index &+= 1
        }
    }

    /// Writes `count` zeros (none if `count` is not positive), in vectors, inline.
    @inline(__always)
    static func clear(_ target: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 8 {
            var index = 0
            while index &+ 8 <= count {
                storeHalf(SIMD8(), target + index)
                index &+= 8
            }
            if index < count { storeHalf(SIMD8(), target + (count &- 8)) }
        } else {
            for index in 0..<max(count, 0) { target[index] = 0 }
        }
    }

    @inline(__always) private static func loadQuarter(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always) private static func storeQuarter(_ value: SIMD4<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD4<Float>.self)
    }
}
