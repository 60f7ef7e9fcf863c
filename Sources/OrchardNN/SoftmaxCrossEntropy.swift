import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The mean softmax cross-entropy of logits [N, classes] against integer labels, and its gradient.
public final class SoftmaxCrossEntropy {
    private var gradient: Tensor?

    public init() {}

    /// Returns the mean loss, the number of correct arg-max predictions, and d loss / d logits.
    ///
    /// The gradient tensor is owned by this object and reused by its next call.
    public func callAsFunction(_ logits: Tensor, labels: UnsafePointer<Int32>) -> (
        loss: Float, correct: Int, gradient: Tensor
    ) {
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        let gradient = Tensor.reusing(self.gradient, shape: logits.shape)
        self.gradient = gradient
        var totalLoss: Double = 0
        var correct = 0
        let scale = 1 / Float(batch)
        for row in 0..<batch {
            let z = logits.data + row * classes
            let dz = gradient.data + row * classes
            var largest = z[0]
            var predicted = 0
            for index in 1..<classes where z[index] > largest {
                largest = z[index]
                predicted = index
            }
            var sum: Float = 0
            for index in 0..<classes {
                dz[index] = expf(z[index] - largest)
                sum += dz[index]
            }
            let label = Int(labels[row])
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            if predicted == label { correct += 1 }
            totalLoss += Double(logf(sum) - (z[label] - largest))
            let reciprocal = scale / sum
            for index in 0..<classes { dz[index] *= reciprocal }
            dz[label] -= scale
        }
        return (Float(totalLoss / Double(batch)), correct, gradient)
    }
}
