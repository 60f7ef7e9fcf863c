import OrchardTensor

/// Runs training steps and evaluations of a network with softmax cross-entropy and SGD.
public final class Trainer {
    public let network: Network
    public let optimizer: SGD
    private let criterion = SoftmaxCrossEntropy()
    /// FLOPs of every step and evaluation so far.
    public private(set) var flops = FLOPCount.zero

    public init(network: Network, optimizer: SGD) {
        self.network = network
        self.optimizer = optimizer
    }

    /// Creates the trainer with SGD over the network's trained parameters.
    public convenience init(network: Network, learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        let optimizer = SGD(
            parameters: network.trainableParameters, learningRate: learningRate, momentum: momentum,
            weightDecay: weightDecay)
        self.init(network: network, optimizer: optimizer)
    }

    /// One forward, backward and update on a batch; returns the batch's mean loss and correct count.
    @discardableResult
    public func step(_ batch: Tensor, labels: UnsafePointer<Int32>) -> (loss: Float, correct: Int) {
        let logits = network.forward(batch, mode: .training)
        let result = criterion(logits, labels: labels)
        network.backward(result.gradient)
        optimizer.step()
        let count = network.storedTrainableCount
        // The update reads a gradient and writes a value per stored value: two FLOPs, four with momentum.
        flops = flops + network.flops + FLOPCount(backward: count * (optimizer.momentum == 0 ? 2 : 4))
        return (result.loss, result.correct)
    }

    /// The mean loss and correct count of a batch in evaluation mode.
    public func evaluate(_ batch: Tensor, labels: UnsafePointer<Int32>) -> (loss: Float, correct: Int) {
        let logits = network.forward(batch, mode: .evaluation)
        let result = criterion(logits, labels: labels)
        flops.forward += network.flops.forward
        return (result.loss, result.correct)
    }
}
