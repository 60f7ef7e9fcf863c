import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedTiny (Huang et al., ICDCS 2023): the client half.
///
/// Selection rounds (`bn_stats`, `score`) work on the dense pretrained model under each candidate's
/// mask and on a validation split of the client's shard; training rounds (`train`, `adjust`) train
/// the sparse model as fixed-mask clients do, and an adjustment round also searches the pruned
/// positions of the adjusted layers for the largest gradients of the last batch, in a buffer the
/// client's memory budget leaves after training.
///
/// One instance serves every logical client of a host, one task at a time; every task overwrites
/// all the state it reads, so a result does not depend on which host ran it or what ran before.
public final class FedTinyClient: ModelPerTaskClient {
    let setup: MethodSetup
    /// The task's model, built anew for each task.
    var network: Network
    let configuration: FedTinyConfiguration

    public init(setup: MethodSetup, configuration: FedTinyConfiguration) throws {
        self.setup = setup
        self.configuration = configuration
        network = try setup.makeNetwork()
    }

    /// The task's work, on a model built for it, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        switch task.kind {
        case .batchNormStatistics: return try recalibrate(task, on: client)
        case .score: return try score(task, on: client)
        case .train, .adjust: return try train(task, on: client)
        }
    }

    /// The client's validation split.
    ///
    /// A `fraction` of its shard (at least one sample), drawn from (seed, "fedtiny-validation", client), in shard
    /// order. It is not held out from training, as OG's local test loader is a subset of the training indices.
    static func validationIndices(count: Int, fraction: Double, seed: UInt64, client: Int) -> [Int] {
        guard count > 0 else { return [] }
        let size = min(count, max(1, Int(Double(count) * fraction)))
        var random = RandomStream(seed: seed, purpose: "fedtiny-validation", client)
        return Array(random.permutation(count).prefix(size)).sorted()
    }

    /// Sparse training as fixed-mask clients do it, and in an adjustment round the top-K search.
    func train(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        let batch = Int(try task.setting("batch"))
        try SparseTransfer.load(task.tensors, into: network, batch: batch, storage: configuration.storage)
        task.tensors = []
        let sent = network.masks
        let counts = Self.requestedCounts(task)
        var search: TopKBuffer?
        if !counts.isEmpty {
            switch try TopKBuffer.plan(network, task: task, client: client, counts: counts) {
            case .refused(let reason):
                return ClientResult(
                    client: client.id, round: task.round, kind: task.kind, outcome: .refused, reason: reason)
            case .planned(let buffer): search = buffer
            }
        }
        let memory = try ClientMemory.check(network, task: task, client: client, methodBuffers: search?.bytes ?? 0)
        if let refusal = memory.refusal { return refusal }
        var (metrics, _) = try LocalSGD.train(network, task: task, client: client, seed: setup.seed)
        metrics["predicted_peak_bytes"] = Double(memory.footprint.total)
        var tensors = SparseTransfer.upload(network, sent: sent)
        if let search {
            let found = try search.select(in: network, counts: counts)
            tensors += found.tensors
            metrics["topk_k"] = Double(found.selected)
            metrics["topk_requested"] = Double(counts.values.reduce(0, +))
            metrics["topk_buffer_bytes"] = Double(found.bytesUsed)
            // The buffer lives beside everything training holds at its end, which is its peak.
            metrics["peak_memory_bytes", default: 0] += Double(found.bytesUsed)
        }
        let result = ClientResult(
            client: client.id, round: task.round, kind: task.kind, metrics: metrics, tensors: tensors)
        return result
    }

    /// The gradients asked for per adjusted layer, from the task's `k/<name>` settings.
    static func requestedCounts(_ task: ClientTask) -> [String: Int] {
        var counts: [String: Int] = [:]
        let prefix = FedTinyProtocol.countSetting("")
        for (key, value) in task.settings where key.hasPrefix(prefix) {
            counts[String(key.dropFirst(prefix.count))] = Int(value)
        }
        return counts
    }
}
