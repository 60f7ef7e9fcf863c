import OrchardData
import OrchardNN
import OrchardTensor

extension LocalSGD {
    /// Local training as `train` does it, with hooks for methods that change the mask or read
    /// gradients while training.
    ///
    /// `beforeEpoch(epoch, trainer)` runs before each epoch (0-based) and `afterStep(trainer)`
    /// after each optimizer step, when the layers still hold the step's forward and backward. The
    /// batch order is one stream for all epochs, drawn from (seed, "batches", client, round) as in
    /// `train`. Momentum left on the parameters by an earlier task of the same host is dropped
    /// first, so a fresh optimizer really starts from nothing and a result does not depend on
    /// which host ran it.
    static func trainWithHooks(
        _ network: Network, task: ClientTask, client: LocalClient, seed: UInt64,
        beforeEpoch: (Int, Trainer) throws -> Void = { _, _ in }, afterStep: (Trainer) -> Void = { _ in }
    ) throws -> (metrics: [String: Double], trainer: Trainer) {
        for parameter in network.trainableParameters { parameter.momentum = nil }
        let trainer = Trainer(
            network: network, learningRate: Float(try task.setting("learning_rate")),
            momentum: Float(try task.setting("momentum")), weightDecay: Float(try task.setting("weight_decay")))
        var order = BatchOrder(
            count: client.data.count, batchSize: Int(try task.setting("batch")),
            shuffle: RandomStream(seed: seed, purpose: "batches", client.id, task.round))
        TaskMemory.resetPeak()
        var summary = EpochSummary()
        for epoch in 0..<Int(try task.setting("epochs")) {
            try beforeEpoch(epoch, trainer)
            summary = trainer.trainEpoch(on: client.data, order: &order) { _, _, _ in afterStep(trainer) }
        }
        let metrics: [String: Double] = [
            "samples": Double(client.data.count), "loss": summary.loss, "accuracy": summary.accuracy,
            "flops": Double(trainer.flops.total), "peak_memory_bytes": Double(TaskMemory.peak),
        ]
        return (metrics, trainer)
    }
}
