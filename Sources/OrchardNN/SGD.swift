import OrchardTensor

/// Stochastic gradient descent with momentum and weight decay, as PyTorch's `torch.optim.SGD`.
///
/// For each trained parameter p with gradient g: g += weightDecay * p; v = momentum * v + g;
/// p -= learningRate * v (no dampening, no Nesterov). Momentum buffers are created on the first
/// step and only when momentum is not zero, so plain SGD holds no optimizer state.
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    private let parameters: [Parameter]
    private var velocities: [Tensor?]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters.filter { $0.gradient != nil }
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        velocities = Array(repeating: nil, count: self.parameters.count)
    }

    /// Applies one update from the gradients the last backward pass wrote.
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            let p = parameter.value.data
            let g = parameter.gradient!.data
            let count = parameter.value.count
            let (rate, decay) = (learningRate, weightDecay)
            if momentum == 0 {
                for i in 0..<count { p[i] -= rate * (g[i] + decay * p[i]) }
                continue
            }
            let velocity: Tensor
            if let existing = velocities[index] {
                velocity = existing
            } else {
                // PyTorch starts the buffer at the first gradient rather than at zero, which a zero
                // buffer gives too: 0 * momentum + g + decay * p.
                velocity = Tensor(zeros: parameter.value.shape, role: .optimizerState)
                velocities[index] = velocity
            }
            Elementwise.momentumStep(p, g, velocity.data, rate: rate, momentum: momentum, decay: decay, count: count)
        }
    }

    /// Forgets the momentum buffers, as a fresh optimizer would.
    public func reset() { velocities = Array(repeating: nil, count: parameters.count) }

    /// Bytes of optimizer state held now.
    public var stateBytes: Int { velocities.reduce(0) { $0 + ($1?.byteCount ?? 0) } }
}
