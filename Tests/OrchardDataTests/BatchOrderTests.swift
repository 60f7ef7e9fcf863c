import OrchardData
import OrchardTensor
import Testing

@Suite("Batch order")
struct BatchOrderTests {
    @Test func everyIndexOncePerEpochAndReshuffled() {
        var order = BatchOrder(count: 23, batchSize: 5, shuffle: RandomStream(seed: 1, purpose: "test"))
        #expect(order.batchesPerEpoch == 5)
        var epochs = [[Int]]()
        for _ in 0..<3 {
            let batches = order.nextEpoch()
            #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
            let visited = batches.flatMap { $0 }
            #expect(visited.sorted() == Array(0..<23))
            epochs.append(visited)
        }
        #expect(order.epoch == 3)
        #expect(epochs[0] != Array(0..<23))
        #expect(epochs[0] != epochs[1])
        #expect(epochs[1] != epochs[2])
    }

    @Test func sameStreamSameOrder() {
        var first = BatchOrder(count: 40, batchSize: 8, shuffle: RandomStream(seed: 2, purpose: "test"))
        var second = BatchOrder(count: 40, batchSize: 8, shuffle: RandomStream(seed: 2, purpose: "test"))
        for _ in 0..<2 { #expect(first.nextEpoch().flatMap { $0 } == second.nextEpoch().flatMap { $0 }) }
    }

    @Test func withoutStreamKeepsIndexOrder() {
        var order = BatchOrder(count: 7, batchSize: 3)
        #expect(order.nextEpoch().map { Array($0) } == [[0, 1, 2], [3, 4, 5], [6]])
        #expect(order.nextEpoch().map { Array($0) } == [[0, 1, 2], [3, 4, 5], [6]])
    }

    @Test func dropLastSkipsThePartialBatch() {
        var order = BatchOrder(count: 23, batchSize: 5, shuffle: RandomStream(seed: 3, purpose: "test"), dropLast: true)
        #expect(order.batchesPerEpoch == 4)
        let batches = order.nextEpoch()
        #expect(batches.map(\.count) == [5, 5, 5, 5])
        #expect(Set(batches.flatMap { $0 }).count == 20)
        #expect(BatchOrder(count: 3, batchSize: 5, dropLast: true).batchesPerEpoch == 0)
        #expect(BatchOrder(count: 0, batchSize: 5).batchesPerEpoch == 0)
    }

    @Test func nextBatchWalksEpochsAndReshuffles() {
        var order = BatchOrder(count: 10, batchSize: 4, shuffle: RandomStream(seed: 4, purpose: "test"))
        var firstEpoch = [Int]()
        for _ in 0..<3 { firstEpoch += order.nextBatch() }
        #expect(order.epoch == 1)
        #expect(firstEpoch.sorted() == Array(0..<10))
        let next = order.nextBatch()
        #expect(order.epoch == 2)
        #expect(next.count == 4)
        var secondEpoch = Array(next)
        for _ in 0..<2 { secondEpoch += order.nextBatch() }
        #expect(secondEpoch.sorted() == Array(0..<10))
        #expect(secondEpoch != firstEpoch)

        var dropping = BatchOrder(count: 10, batchSize: 4, dropLast: true)
        #expect(Array(dropping.nextBatch()) == [0, 1, 2, 3])
        #expect(Array(dropping.nextBatch()) == [4, 5, 6, 7])
        #expect(Array(dropping.nextBatch()) == [0, 1, 2, 3])
        #expect(dropping.epoch == 2)
    }
}
