import OrchardTensor
import Testing

@Suite struct SparsePatternTests {
    @Test(arguments: [0.0, 0.05, 0.5, 1.0])
    func flatIndicesRoundTripThroughRowsAndMask(density: Double) {
        let pattern = SparseFixture.pattern(rows: 7, columns: 9, density: density, seed: 3)
        let flat = pattern.flatIndices
        #expect(flat.count == pattern.count)
        #expect(pattern.rowStarts[0] == 0 && Int(pattern.rowStarts[7]) == pattern.count)
        for row in 0..<7 {
            for entry in Int(pattern.rowStarts[row])..<Int(pattern.rowStarts[row + 1]) {
                #expect(Int(flat[entry]) == row * 9 + Int(pattern.columnIndices[entry]))
            }
        }
        #expect(abs(pattern.density - Double(flat.count) / 63) < 1e-12)
        #expect(pattern.indexBytes == (7 + 1 + pattern.count) * 4)

        let values = (0..<pattern.count).map { Float($0 + 1) }
        var dense = [Float](repeating: 9, count: 63)
        values.withUnsafeBufferPointer { v in
            dense.withUnsafeMutableBufferPointer { pattern.scatter(v.baseAddress!, into: $0.baseAddress!) }
        }
        #expect(dense.filter { $0 != 0 }.count == pattern.count)
        let fromMask = dense.withUnsafeBufferPointer { SparsePattern(rows: 7, columns: 9, mask: $0.baseAddress!) }
        #expect(fromMask.flatIndices == flat)
        var gathered = [Float](repeating: 0, count: pattern.count)
        dense.withUnsafeBufferPointer { d in
            gathered.withUnsafeMutableBufferPointer { pattern.gather(from: d.baseAddress!, into: $0.baseAddress!) }
        }
        #expect(gathered == values)
    }

    @Test func emptyRowsAndEmptyMatrix() {
        let pattern = SparsePattern(rows: 4, columns: 3, flatIndices: [4, 5])
        #expect((0...4).map { pattern.rowStarts[$0] } == [0, 0, 2, 2, 2])
        #expect(pattern.flatIndices == [4, 5])
        let empty = SparsePattern(rows: 0, columns: 5, flatIndices: [])
        #expect(empty.count == 0 && empty.density == 0 && empty.flatIndices.isEmpty)
    }

    @Test func indexBytesAreCountedAsParameters() {
        let (pattern, counts) = MemoryScope.measure {
            SparsePattern(rows: 10, columns: 10, flatIndices: [1, 2, 30, 99])
        }
        #expect(pattern.indexBytes == (11 + 4) * 4)
        #expect(counts.byRole[TensorRole.parameter.rawValue] == pattern.indexBytes)
        #expect(counts.total == pattern.indexBytes)
    }
}
