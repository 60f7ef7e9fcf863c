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

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters.filter { $0.gradient != nil }
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        // A new optimizer starts without state, whatever an earlier one left on the parameters.
        reset()
    }

    /// Applies one update from the gradients the last backward pass wrote.
    ///
    /// Compact sparse parameters update only their kept entries; the momentum lives on the
    /// parameter, so that pruning and regrowing carries it over (and zeroes it where weights grow).
    public func step() {
        for parameter in parameters {
            let p = parameter.value.data
            let g = parameter.gradient!.data
            let count = parameter.value.count
            let (rate, decay) = (learningRate, weightDecay)
            if momentum == 0 {
                for i in 0..<count { p[i] -= rate * (g[i] + decay * p[i]) }
                continue
            }
            // PyTorch starts the buffer at the first gradient rather than at zero, which a zero
            // buffer gives too: 0 * momentum + g + decay * p.
            let velocity = parameter.momentum ?? Tensor(zeros: parameter.value.shape, role: .optimizerState)
            parameter.momentum = velocity
            Elementwise.momentumStep(p, g, velocity.data, rate: rate, momentum: momentum, decay: decay, count: count)
        }
    }

    /// Forgets the momentum buffers, as a fresh optimizer would.
    public func reset() {
        for parameter in parameters { parameter.momentum = nil }
    }

    /// Bytes of optimizer state held now.
    public var stateBytes: Int { parameters.reduce(0) { $0 + ($1.momentum?.byteCount ?? 0) } }
}
