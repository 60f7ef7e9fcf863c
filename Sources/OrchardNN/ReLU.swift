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
        Elementwise.relu(input.data, output.data, count: input.count)
        flops = FLOPCount(forward: input.count)
        return output
    }

    /// The output, and dX when needed.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        Array(repeating: tensorBytes(inputShape), count: needsInputGradient ? 2 : 1)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard let output else { preconditionFailure("ReLU.backward before forward") }
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: output.shape)
        self.inputGradient = inputGradient
        Elementwise.reluBackward(output.data, outputGradient.data, inputGradient.data, count: output.count)
        flops.backward = output.count
        return inputGradient
    }
}
