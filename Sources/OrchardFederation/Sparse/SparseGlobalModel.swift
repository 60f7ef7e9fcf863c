import OrchardNN
import OrchardPruning
import OrchardTensor

/// The server's pruned global model for the methods whose mask changes during training.
///
/// The model is held masked (dense storage, zeros at pruned positions), starting from
/// FedPruning's default initial mask: the planned layer densities (ERK by default), keeping the
/// largest |w| of the initial weights. Each layer's kept count is fixed by that plan; the
/// methods move weights between positions but keep the counts.
final class SparseGlobalModel {
    let setup: MethodSetup
    /// Which tensors clients send dense gradient statistics of in adjustment rounds.
    let gradientUpload: GradientUpload
    let network: Network
    /// The kept count of each pruned weight, by name: the plan's target.
    let targetCounts: [String: Int]
    /// The shape of every state tensor, by name.
    let shapes: [String: [Int]]

    init(setup: MethodSetup, pruning: PruningSettings, gradientUpload: GradientUpload = .all) throws {
        self.setup = setup
        self.gradientUpload = gradientUpload
        network = try setup.makeNetwork()
        let mask = try Criterion.magnitude.mask(for: network, plan: pruning.plan)
        try mask.prune(network, batch: setup.training.batch, storage: .masked)
        targetCounts = Dictionary(uniqueKeysWithValues: mask.entries.map { ($0.name, $0.mask.count) })
        shapes = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.parameter.shape) })
    }

    /// The kept positions of each pruned weight, by name.
    var masks: [String: [Int32]] { network.masks }

    /// The current mask of every pruned weight, in the network's parameter order.
    var modelMask: ModelMask {
        let current = network.masks
        return ModelMask(
            network.parameters.compactMap { named in
                current[named.name].map {
                    (name: named.name, mask: TensorMask(shape: named.parameter.shape, activeIndices: $0))
                }
            })
    }

    /// The tasks of a round: the model travels sparse, with the local training settings and `extra`.
    func tasks(round: Int, clients: [Int], kind: ClientTask.Kind, extra: [String: Double] = [:]) -> [ClientTask] {
        let settings = LocalSGD.settings(setup.training).merging(extra) { $1 }
        let tensors = SparseTransfer.download(network)
        return clients.map { ClientTask(client: $0, round: round, kind: kind, settings: settings, tensors: tensors) }
    }

    /// What a result of `task` holds: the state sent back under the masks sent, and in an
    /// adjustment round the dense gradient statistics of `gradient_upload`'s scope.
    func contract(for task: ClientTask) -> ResultContract {
        var contract = ResultContract.returningState(of: task)
        if task.kind == .adjust {
            contract.entries += DenseGradients.contractEntries(network, scope: gradientUpload)
        }
        return contract
    }

    /// The results that count, with their sample weights.
    static func weighted(_ results: [ClientResult], round: Int) throws -> [(weight: Double, result: ClientResult)] {
        try results.filter { $0.outcome == .ok }.map { result in
            guard let samples = result.metrics["samples"], samples > 0 else {
                throw FederationError(
                    "the \(result.kind) result of client \(result.client) in round \(round) reports no samples")
            }
            return (samples, result)
        }
    }

    /// The masked average of the clients' weights (tensors named as the model's; others are
    /// skipped), or the run's robust `aggregation` of them, and the union of their masks.
    func average(_ weighted: [(weight: Double, result: ClientResult)]) throws
        -> (values: [String: [Float]], masks: [String: [Int32]])
    {
        let sent = masks
        let contributions = try weighted.map { entry -> MaskedAverage.Contribution in
            let state = entry.result.tensors.filter { shapes[$0.name] != nil }
            return (entry.weight, try SparseTransfer.resolve(state, shapes: shapes, sent: sent))
        }
        return try MaskedAverage.average(
            contributions, shapes: shapes, aggregation: setup.aggregation, reference: Aggregation.reference(network))
    }

    /// Sets the global model to `values` under `masks` (pruned weights not named keep their mask).
    func assign(values: [String: [Float]], masks newMasks: [String: [Int32]], round: Int) throws {
        let changed = newMasks.filter { masks[$0.key] != $0.value }
        if !changed.isEmpty { try network.applyMasks(changed, batch: setup.training.batch, storage: .masked) }
        for named in network.parameters {
            guard let average = values[named.name] else {
                throw FederationError("no client sent '\(named.name)' in round \(round)")
            }
            // Assigning zeroes the positions the mask does not keep.
            average.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }

    /// The sample-weighted average of the dense tensors named `prefix + name` for each pruned
    /// weight, as growth scores; a client that sent none for a weight is an error.
    func averageScores(_ weighted: [(weight: Double, result: ClientResult)], prefix: String, round: Int) throws
        -> ModelScores
    {
        let mask = modelMask
        let total = weighted.reduce(0) { $0 + $1.weight }
        var values: [[Float]] = []
        for (name, layerMask) in mask.entries {
            var sums = [Double](repeating: 0, count: layerMask.elementCount)
            for (weight, result) in weighted {
                let tensor = try result.tensor(named: prefix + name).denseTensor()
                guard tensor.count == sums.count else {
                    throw FederationError(
                        "client \(result.client) sent \(tensor.count) values of '\(prefix + name)' in round \(round)")
                }
                let share = weight / total
                withExtendedLifetime(tensor) {
                    let source = tensor.buffer
                    for index in sums.indices { sums[index] += share * Double(source[index]) }
                }
            }
            values.append(sums.map { Float($0) })
        }
        return ModelScores(names: mask.names, shapes: mask.masks.map(\.shape), values: values)
    }

    /// FedPruning's server step (its `sparse_update_step`).
    ///
    /// Per pruned layer, prune the `int(fraction · active)` smallest |w| of the global weights and grow as many
    /// positions of largest |score| among the inactive ones; pruned and grown weights are zero afterwards. Returns the
    /// positions grown.
    @discardableResult
    func pruneAndGrow(scores: ModelScores, fraction: Double) throws -> [String: [Int32]] {
        let (mask, changes) = PruneAndGrow.update(modelMask, network: network, growthScores: scores, fraction: fraction)
        let changed = mask.keptPositions.filter { masks[$0.key] != $0.value }
        if !changed.isEmpty { try network.applyMasks(changed, batch: setup.training.batch, storage: .masked) }
        return Dictionary(uniqueKeysWithValues: zip(mask.names, changes.map(\.grown)))
    }

    /// The tasks of a round of a server-side mask update: `adjust` tasks in the schedule's
    /// adjustment rounds, with `extra`, and `train` tasks otherwise.
    func tasks(round: Int, clients: [Int], schedule: AdjustmentSchedule, extra: [String: Double] = [:])
        -> [ClientTask]
    {
        schedule.adjusts(round: round)
            ? tasks(round: round, clients: clients, kind: .adjust, extra: extra)
            : tasks(round: round, clients: clients, kind: .train)
    }

    /// Averages the round's weights and, in an adjustment round, averages the clients' dense
    /// statistics into growth scores and moves weights with them.
    func aggregateGrowingByScores(round: Int, results: [ClientResult], schedule: AdjustmentSchedule) throws {
        let weighted = try Self.weighted(results, round: round)
        guard !weighted.isEmpty else { return }
        let (values, union) = try average(weighted)
        try assign(values: values, masks: union, round: round)
        guard schedule.adjusts(round: round) else { return }
        let scores = try averageScores(weighted, prefix: DenseGradients.prefix, round: round)
        try pruneAndGrow(scores: scores, fraction: schedule.fraction(round: round))
    }
}
