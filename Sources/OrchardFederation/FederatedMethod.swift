import OrchardNN

/// The server half of a method: plans each round's tasks and folds the results into the global model.
///
/// The coordinator samples the round's clients, asks for their tasks, sends them, and hands back the
/// results of the clients that answered, ordered by client id so that aggregation is deterministic.
public protocol ServerMethod: AnyObject {
    /// The global model, evaluated and checkpointed by the coordinator.
    var global: Network { get }
    /// The tasks of `round` for the sampled `clients`, in the same order.
    func tasks(round: Int, clients: [Int]) throws -> [ClientTask]
    /// What a result of `task` must hold; the coordinator rejects any result that does not match.
    func contract(for task: ClientTask) -> ResultContract
    /// Updates the global state from the round's results (outcome `ok` only, in client-id order).
    func aggregate(round: Int, results: [ClientResult]) throws
    /// The method's state beyond the model's values that a checkpoint keeps; nil when none.
    func checkpointExtra() -> [UInt8]?
    /// Restores what `checkpointExtra` saved, before the checkpoint's values are loaded.
    func restore(checkpointExtra: [UInt8]?) throws
}

extension ServerMethod {
    /// The state the task carried, sent back in the same forms under the same masks.
    public func contract(for task: ClientTask) -> ResultContract { .returningState(of: task) }

    /// The global model's masks, when it is pruned: a method whose masks change keeps them so.
    public func checkpointExtra() -> [UInt8]? {
        let masks = global.masks
        return masks.isEmpty ? nil : MaskArchive.encode(masks, order: global)
    }

    /// Prunes the global model (held masked) to the saved masks.
    public func restore(checkpointExtra: [UInt8]?) throws {
        try restoreMasks(checkpointExtra)
    }

    /// Prunes the global model (held masked) to the masks `checkpointExtra` holds; false when the
    /// checkpoint holds none.
    @discardableResult
    func restoreMasks(_ checkpointExtra: [UInt8]?) throws -> Bool {
        guard let checkpointExtra else { return false }
        try global.applyMasks(MaskArchive.decode(checkpointExtra), batch: 1, storage: .masked)
        return true
    }
}

/// The client half of a method: runs one task on one client's data.
public protocol ClientMethod: AnyObject {
    ///
    /// The method owns the task: it can drop the received tensors once loaded, so that they do
    /// not count in the memory the task measures.
    func run(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult
}
