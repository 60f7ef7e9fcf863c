import OrchardTensor

/// The rectifier, y = max(0, x).
public final class ReLU: Layer {
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let output = Tensor.reusing(self.output, shape: input.shape)
        self.output = output
        let source = input.data
        let target = output.data
        for index in 0..<input.count { target[index] = max(source[index], 0) }
        flops = FLOPCount(forward: input.count)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let output else { preconditionFailure("ReLU.backward before forward") }
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: output.shape)
        self.inputGradient = inputGradient
        let y = output.data
        let dy = outputGradient.data
        let dx = inputGradient.data
        for index in 0..<output.count { dx[index] = y[index] > 0 ? dy[index] : 0 }
        flops.backward = output.count
        return inputGradient
    }
}
