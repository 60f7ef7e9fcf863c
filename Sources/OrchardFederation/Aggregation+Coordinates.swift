import OrchardTensor

/// The coordinate-wise rules: the clients' values of each position are gathered side by side,
/// sorted, and averaged once the extremes are dropped.
///
/// The median is the trimmed mean that drops all but the middle one or two values. Each client
/// that holds a position counts once (sample weights are ignored, as in Yin et al., 2018), and a
/// position no client holds gets 0. Sorting makes the result independent of the clients' order;
/// the kept values are summed in Double from the smallest up.
extension Aggregation.Rule {
    /// The values dropped at each end of a position held by `count` clients.
    ///
    /// For the trimmed mean, `floor(trim · count)`, allowing 1e-9 for the rounding of the product so
    /// that 29% of 100 clients drops 29; never so many that nothing is left.
    func dropped(from count: Int) -> Int {
        let mostDropped = max(0, (count - 1) / 2)
        switch self {
        case .mean: return 0
        case .median: return mostDropped
        case .trimmedMean(let trim):
            let exact = trim * Double(count) + 1e-9
            guard exact.isFinite, exact >= 0 else { return 0 }
            return exact >= Double(mostDropped) ? mostDropped : Int(exact.rounded(.down))
        }
    }

    /// The rule's value of the clients' values of one position, which it sorts in place.
    func combine(_ values: UnsafeMutableBufferPointer<Float>) -> Float {
        guard !values.isEmpty else { return 0 }
        Aggregation.sort(values)
        let drop = dropped(from: values.count)
        var sum: Double = 0
        for index in drop..<(values.count - drop) { sum += Double(values[index]) }
        return Float(sum / Double(values.count - 2 * drop))
    }

    /// The rule applied to each position of one tensor of `count` values.
    ///
    /// `parts` are the clients' dense values with, for a pruned weight, the positions each keeps
    /// (nil: all of them). The values of every client are gathered position by position into one
    /// buffer, so the memory this takes is that of all the clients' values of the tensor at once;
    /// no position allocates.
    /// - Returns: the value of each position, and the positions at least one client holds.
    /// - Throws: `FederationError` for a kept position outside the tensor.
    func combine(_ parts: [(dense: Tensor, kept: [Int32]?)], count: Int) throws
        -> (values: [Float], held: [Int32])
    {
        // offsets[p]..<offsets[p + 1] is where the values of position p go.
        var offsets = [Int](repeating: 0, count: count + 1)
        for part in parts {
            guard part.dense.count == count else {
                throw FederationError("a contribution has \(part.dense.count) values where \(count) are expected")
            }
            if let kept = part.kept {
                try Aggregation.checkPositions(kept, count: count)
                for position in kept { offsets[Int(position) + 1] += 1 }
            } else {
                for position in 0..<count { offsets[position + 1] += 1 }
            }
        }
        for position in 0..<count { offsets[position + 1] += offsets[position] }
        var gathered = [Float](repeating: 0, count: offsets[count])
        var next = offsets
        for part in parts {
            let source = part.dense
            if let kept = part.kept {
                for position in kept.lazy.map({ Int($0) }) {
                    gathered[next[position]] = source[position]
                    next[position] += 1
                }
            } else {
                for position in 0..<count {
                    gathered[next[position]] = source[position]
                    next[position] += 1
                }
            }
        }
        var values = [Float](repeating: 0, count: count)
        gathered.withUnsafeMutableBufferPointer { gathered in
            for position in 0..<count {
                let column = gathered[offsets[position]..<offsets[position + 1]]
                values[position] = combine(UnsafeMutableBufferPointer(rebasing: column))
            }
        }
        let held = (0..<count).lazy.filter { offsets[$0 + 1] > offsets[$0] }.map { Int32($0) }
        return (values, Array(held))
    }
}

extension Aggregation {
    /// Sorts `values` in place in IEEE 754's total order (NaNs of either sign at the ends, so a
    /// few of them are trimmed like any extreme value), without allocating: insertion sort for
    /// the few values of a typical round, heapsort beyond.
    static func sort(_ values: UnsafeMutableBufferPointer<Float>) {
        if values.count <= 16 {
            insertionSort(values)
        } else {
            heapSort(values)
        }
    }

    /// Whether `left` comes strictly before `right` in the total order.
    @inline(__always)
    private static func precedes(_ left: Float, _ right: Float) -> Bool {
        !right.isTotallyOrdered(belowOrEqualTo: left)
    }

    private static func insertionSort(_ values: UnsafeMutableBufferPointer<Float>) {
        guard values.count > 1 else { return }
        for index in 1..<values.count {
            let value = values[index]
            var slot = index
            while slot > 0, precedes(value, values[slot - 1]) {
                values[slot] = values[slot - 1]
                slot -= 1
            }
            values[slot] = value
        }
    }

    private static func heapSort(_ values: UnsafeMutableBufferPointer<Float>) {
        let count = values.count
        for start in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(values, from: start, end: count) }
        for end in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(0, end)
            siftDown(values, from: 0, end: end)
        }
    }

    /// Restores the max-heap order of `values[..<end]` below `start`.
    private static func siftDown(_ values: UnsafeMutableBufferPointer<Float>, from start: Int, end: Int) {
        var parent = start
        while true {
            var largest = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < end, precedes(values[largest], values[left]) { largest = left }
            if right < end, precedes(values[largest], values[right]) { largest = right }
            guard largest != parent else { return }
            values.swapAt(parent, largest)
            parent = largest
        }
    }
}
