import OrchardData
import OrchardNN
import OrchardTensor

/// The client's part of adaptive batch-norm selection: the pretrained dense model under each
/// candidate's mask, on the client's validation split.
extension FedTinyClient {
    /// Round 1: for each candidate, resets the statistics to the sent ones, runs `bn_passes`
    /// training-mode forward passes over the validation split (no backward, no update), so that the
    /// running statistics follow this client's data with momentum 0.1, and returns them.
    func recalibrate(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        let network = try setup.makeNetwork()
        let selection = try SelectionInputs(task, client: client, seed: setup.seed, network: network)
        task.tensors = []
        if let refusal = selection.refusal { return refusal }
        let passes = Int(try task.setting("bn_passes"))
        var tensors: [NamedTensor] = []
        TaskMemory.resetPeak()
        for candidate in 0..<selection.candidates {
            try selection.prepare(network, candidate: candidate)
            let statistics = BatchNormStatistics(of: network)
            // Without batch norm there is nothing to recalibrate, and nothing to send.
            guard !statistics.values.isEmpty else { continue }
            for _ in 0..<passes {
                selection.forEachBatch { input, _ in _ = network.forward(input, mode: .training) }
            }
            tensors += BatchNormStatistics(of: network).tensors(candidate: candidate)
        }
        return ClientResult(
            client: client.id, round: task.round, kind: task.kind,
            metrics: selection.metrics(peak: TaskMemory.peak), tensors: tensors)
    }

    /// Round 2: each candidate's summed cross-entropy and correct count on the validation split,
    /// in evaluation mode with the candidate's averaged statistics.
    func score(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        let network = try setup.makeNetwork()
        let selection = try SelectionInputs(task, client: client, seed: setup.seed, network: network)
        let statistics = try (0..<selection.candidates).map {
            try BatchNormStatistics.from(task.tensors, candidate: $0)
        }
        task.tensors = []
        if let refusal = selection.refusal { return refusal }
        TaskMemory.resetPeak()
        var metrics: [String: Double] = [:]
        let evaluator = Trainer(network: network, learningRate: 0)
        for candidate in 0..<selection.candidates {
            try selection.prepare(network, candidate: candidate)
            try statistics[candidate]?.load(into: network)
            var lossSum = 0.0
            var correct = 0
            selection.forEachBatch { input, labels in
                let result = labels.withUnsafeBufferPointer { evaluator.evaluate(input, labels: $0.baseAddress!) }
                lossSum += Double(result.loss) * Double(labels.count)
                correct += result.correct
            }
            metrics[FedTinyProtocol.lossMetric(candidate)] = lossSum
            metrics[FedTinyProtocol.correctMetric(candidate)] = Double(correct)
        }
        metrics.merge(selection.metrics(peak: TaskMemory.peak)) { _, new in new }
        metrics["flops"] = Double(evaluator.flops.total)
        return ClientResult(client: client.id, round: task.round, kind: task.kind, metrics: metrics)
    }
}

/// What both selection rounds read from a task: the dense state, the candidates' masks, the
/// validation split, and whether the dense model fits the client's memory.
struct SelectionInputs {
    let dense: [NamedTensor]
    let masks: [[String: [Int32]]]
    let validation: Dataset
    let batch: Int
    let candidates: Int
    let predictedPeak: Int
    let refusal: ClientResult?

    init(_ task: borrowing ClientTask, client: LocalClient, seed: UInt64, network: Network) throws {
        candidates = Int(try task.setting("candidates"))
        batch = Int(try task.setting("batch"))
        var dense: [NamedTensor] = []
        var masks = [[String: [Int32]]](repeating: [:], count: candidates)
        for tensor in task.tensors {
            if let parsed = FedTinyProtocol.parseCandidateName(tensor.name) {
                guard parsed.candidate < candidates else {
                    throw FederationError("fedtiny: task names candidate \(parsed.candidate) of \(candidates)")
                }
                if case .mask(_, let indices) = tensor.payload { masks[parsed.candidate][parsed.name] = indices }
            } else {
                dense.append(tensor)
            }
        }
        self.dense = dense
        self.masks = masks
        let indices = FedTinyClient.validationIndices(
            count: client.data.count, fraction: try task.setting("validation_fraction"), seed: seed, client: client.id)
        validation = client.data.subset(indices)
        // The dense model, its copy as received (each candidate starts from it), one batch's
        // activations and the batch: FedTiny's clients must hold the dense model here.
        network.removeMasks()
        let footprint = network.predictedFootprint(batch: batch, momentum: false)
        predictedPeak = 2 * footprint.parameters + footprint.activations + footprint.data
        if let budget = client.memoryBudget, predictedPeak > budget {
            refusal = ClientResult(
                client: client.id, round: task.round, kind: task.kind, outcome: .refused,
                reason:
                    "selection runs the dense model: it needs \(predictedPeak) bytes (dense parameters and their copy "
                    + "\(2 * footprint.parameters), activations \(footprint.activations), data \(footprint.data)) "
                    + "but the memory budget is \(budget) bytes",
                metrics: ["predicted_peak_bytes": Double(predictedPeak)])
        } else {
            refusal = nil
        }
    }

    /// Sets the network to candidate `candidate`: the sent dense state (weights and statistics)
    /// with the candidate's pruned positions at zero.
    func prepare(_ network: Network, candidate: Int) throws {
        network.removeMasks()
        try network.load(dense)
        try network.applyMasks(masks[candidate], batch: batch, storage: .masked)
    }

    /// Visits the validation split in batches, in order.
    func forEachBatch(_ body: (Tensor, [Int32]) -> Void) {
        for first in stride(from: 0, to: validation.count, by: batch) {
            let count = min(batch, validation.count - first)
            let input = Tensor(zeros: [count] + validation.sampleShape, role: .data)
            var labels = [Int32](repeating: 0, count: count)
            labels.withUnsafeMutableBufferPointer {
                validation.fillBatch(indices: first..<first + count, features: input.data, labels: $0.baseAddress!)
            }
            body(input, labels)
        }
    }

    func metrics(peak: Int) -> [String: Double] {
        [
            "samples": Double(validation.count), "validation_samples": Double(validation.count),
            "predicted_peak_bytes": Double(predictedPeak), "peak_memory_bytes": Double(peak),
        ]
    }
}
