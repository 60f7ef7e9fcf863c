import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor

/// The loss gradient of prunable weights at chosen positions, read from the last forward and
/// backward pass, whatever the weights' storage.
///
/// Compact weights hold gradients only at kept positions, and masked ones have theirs zeroed at
/// pruned positions, so the methods that grow weights (or score every position) ask the layer for
/// dL/dW at the positions they need, tile by tile, instead of a dense gradient.
enum PositionGradient {
    /// Positions per tile when a method walks a whole layer: 4,096 (index and value, 32 KiB).
    static let tilePositions = 4096

    /// Bytes of the tile a whole-layer walk holds: an Int32 position and a Float gradient each.
    static func tileBytes(_ count: Int) -> Int { min(count, tilePositions) * TopKSelection.bytesPerEntry }

    /// The closure that writes a layer's weight gradient at given flat positions.
    /// - Throws: `FederationError` for a prunable layer of a kind that cannot answer.
    static func closure(_ layer: any PrunableLayer, name: String) throws
        -> (UnsafeBufferPointer<Int32>, UnsafeMutablePointer<Float>) -> Void
    {
        if let linear = layer as? Linear { return linear.weightGradient(at:into:) }
        if let convolution = layer as? Conv2d { return convolution.weightGradient(at:into:) }
        throw FederationError("'\(name)' is a \(type(of: layer)), which cannot give gradients at pruned positions")
    }

    /// Walks every position of a layer's weight (`count` of them) in tiles, handing `body` the
    /// first position of each tile and the gradients there.
    static func walk(
        _ gradient: (UnsafeBufferPointer<Int32>, UnsafeMutablePointer<Float>) -> Void, count: Int,
        _ body: (_ start: Int, _ values: UnsafeBufferPointer<Float>) -> Void
    ) {
        let capacity = max(1, min(count, tilePositions))
        let positions = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity)
        let values = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        defer {
            positions.deallocate()
            values.deallocate()
        }
        for start in stride(from: 0, to: count, by: capacity) {
            let length = min(capacity, count - start)
            for offset in 0..<length { positions[offset] = Int32(start + offset) }
            gradient(UnsafeBufferPointer(rebasing: positions[0..<length]), values)
            body(start, UnsafeBufferPointer(start: values, count: length))
        }
    }

    /// One forward and backward pass of a batch in training mode, without an optimizer step, so
    /// that the layers hold the batch's gradients; returns the pass's FLOPs.
    static func backward(_ network: Network, data: Dataset, indices: some Collection<Int>) -> FLOPCount {
        let input = Tensor(zeros: [indices.count] + data.sampleShape, role: .data)
        var labels = [Int32](repeating: 0, count: indices.count)
        labels.withUnsafeMutableBufferPointer {
            data.fillBatch(indices: indices, features: input.data, labels: $0.baseAddress!)
        }
        let logits = network.forward(input, mode: .training)
        let result = labels.withUnsafeBufferPointer { SoftmaxCrossEntropy()(logits, labels: $0.baseAddress!) }
        network.backward(result.gradient)
        return network.flops
    }
}
