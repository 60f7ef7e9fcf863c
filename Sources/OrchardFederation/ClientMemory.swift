import OrchardNN
import OrchardTensor

/// The memory budget of a client, enforced before a task runs.
public enum ClientMemory {
    /// The predicted footprint of the task, and a refusal when it would not fit the client's budget.
    ///
    /// The footprint is predicted from the model's storage and shapes (parameters, indices,
    /// gradients, momentum, activations of one batch, the batch itself, and the method's buffers),
    /// the same bytes the engine's ledger counts while training; a refusal says which part is how
    /// large, so that a user can see what to shrink.
    public static func check(
        _ network: Network, task: ClientTask, client: LocalClient, methodBuffers: Int = 0
    ) throws -> (footprint: TrainingFootprint, refusal: ClientResult?) {
        let footprint = try predicted(network, task: task, samples: client.data.count, methodBuffers: methodBuffers)
        guard let budget = client.memoryBudget, footprint.total > budget else { return (footprint, nil) }
        let sizes: [(String, Int)] = [
            ("parameters", footprint.parameters), ("gradients", footprint.gradients),
            ("optimizer", footprint.optimizer), ("activations", footprint.activations), ("data", footprint.data),
            ("last-batch change", footprint.batchChange),
            ("method buffers", footprint.methodBuffers),
        ]
        let parts = sizes.filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        let refusal = ClientResult(
            client: client.id, round: task.round, kind: task.kind, outcome: .refused,
            reason: "training needs \(footprint.total) bytes (\(parts)) but the memory budget is \(budget) bytes",
            metrics: ["predicted_peak_bytes": Double(footprint.total)])
        return (footprint, refusal)
    }

    /// The footprint of training `network` with the task's batch size and optimizer.
    public static func predicted(_ network: Network, task: ClientTask, samples: Int, methodBuffers: Int = 0) throws
        -> TrainingFootprint
    {
        network.predictedFootprint(
            batch: Int(try task.setting("batch")), momentum: try task.setting("momentum") != 0,
            methodBuffers: methodBuffers, samples: samples)
    }
}
