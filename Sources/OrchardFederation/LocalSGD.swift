import OrchardData
import OrchardNN
import OrchardTensor

/// The local training every method's client half shares: epochs of SGD with a fresh optimizer
/// over the client's shard, in the batch order drawn from (seed, "batches", client, round).
public enum LocalSGD {
    /// The task settings that carry the local training configuration.
    public static func settings(_ training: LocalTraining) -> [String: Double] {
        [
            "epochs": Double(training.epochs), "batch": Double(training.batch),
            "learning_rate": Double(training.learningRate), "momentum": Double(training.momentum),
            "weight_decay": Double(training.weightDecay),
        ]
    }

    /// Trains `network` as the task says and returns the figures a result reports.
    ///
    /// The peak of live tensor bytes is measured from here, so it covers what training holds
    /// (model, gradients, optimizer state, activations, batches), not the task's received tensors,
    /// which the caller has loaded and released. Methods that change the mask or read gradients
    /// while training pass hooks: `beforeEpoch(epoch, trainer)` runs before each epoch (0-based),
    /// `afterStep(trainer)` after each optimizer step, while the layers still hold the step's
    /// forward and backward. The batch order is one stream for all epochs.
    public static func train(
        _ network: Network, task: ClientTask, client: LocalClient, seed: UInt64,
        beforeEpoch: (Int, Trainer) throws -> Void = { _, _ in }, afterStep: ((Trainer) -> Void)? = nil
    ) throws -> (metrics: [String: Double], trainer: Trainer) {
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
            if let afterStep {
                summary = trainer.trainEpoch(on: client.data, order: &order) { _, _, _ in afterStep(trainer) }
            } else {
                summary = trainer.trainEpoch(on: client.data, order: &order)
            }
        }
        let metrics: [String: Double] = [
            "samples": Double(client.data.count), "loss": summary.loss, "accuracy": summary.accuracy,
            "flops": Double(trainer.flops.total), "peak_memory_bytes": Double(TaskMemory.peak),
        ]
        return (metrics, trainer)
    }
}
