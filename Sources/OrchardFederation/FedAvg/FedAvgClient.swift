import OrchardData
import OrchardNN
import OrchardTensor

/// FedAvg's client half: load the global model, train locally with a fresh optimizer, send it back.
///
/// One instance serves all the logical clients of a host process, one task at a time, with one
/// network whose every state tensor is overwritten by each task, so a client's result does not
/// depend on which host ran it or what ran before.
public final class FedAvgClient: ClientMethod {
    let setup: MethodSetup
    let network: Network

    public init(setup: MethodSetup) throws {
        self.setup = setup
        network = try setup.makeNetwork()
    }

    /// The task settings that carry the local training configuration.
    static func settings(_ training: LocalTraining) -> [String: Double] {
        [
            "epochs": Double(training.epochs), "batch": Double(training.batch),
            "learning_rate": Double(training.learningRate), "momentum": Double(training.momentum),
            "weight_decay": Double(training.weightDecay),
        ]
    }

    public func run(_ task: ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == "train" else { throw FederationError("fedavg clients do not run '\(task.kind)' tasks") }
        try network.load(task.tensors)
        let trainer = Trainer(
            network: network, learningRate: Float(try task.setting("learning_rate")),
            momentum: Float(try task.setting("momentum")), weightDecay: Float(try task.setting("weight_decay")))
        var order = BatchOrder(
            count: client.data.count, batchSize: Int(try task.setting("batch")),
            shuffle: RandomStream(seed: setup.seed, purpose: "batches", client.id, task.round))
        MemoryLedger.resetPeak()
        var summary = EpochSummary()
        for _ in 0..<Int(try task.setting("epochs")) { summary = trainer.trainEpoch(on: client.data, order: &order) }
        let metrics: [String: Double] = [
            "samples": Double(client.data.count), "loss": summary.loss, "accuracy": summary.accuracy,
            "flops": Double(trainer.flops.total), "peak_memory_bytes": Double(MemoryLedger.peakBytes),
        ]
        return ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: network.stateTensors)
    }
}
