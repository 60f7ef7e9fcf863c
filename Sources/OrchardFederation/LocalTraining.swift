/// How a client trains on its data in one round: SGD with momentum and weight decay.
public struct LocalTraining: Sendable, Equatable {
    /// Passes over the client's data per round; 1 by default.
    public var epochs: Int
    /// Samples per step; 64 by default.
    public var batch: Int
    /// The SGD learning rate; 0.05 by default.
    public var learningRate: Double
    /// SGD momentum, in 0..<1; 0 by default (plain SGD, no optimizer state).
    public var momentum: Double
    /// L2 weight decay; 0 by default.
    public var weightDecay: Double
    /// Whether each round starts with a new optimizer (momentum buffers cleared), as FedAvg
    /// clients that hold no state between rounds do; true by default.
    public var freshOptimizer: Bool

    /// Creates training settings, each defaulting to the value documented on its property.
    public init(
        epochs: Int = 1, batch: Int = 64, learningRate: Double = 0.05, momentum: Double = 0, weightDecay: Double = 0,
        freshOptimizer: Bool = true
    ) {
        self.epochs = epochs
        self.batch = batch
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.freshOptimizer = freshOptimizer
    }
}
