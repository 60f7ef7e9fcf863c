import OrchardNN
import OrchardPayload
import OrchardTensor

/// LotteryFL (Li et al., 2020): the server half.
///
/// Every client has a mask of its own, which the server keeps: it starts dense, and only its
/// client prunes it (`LotteryFLClient`). A client's task carries the global values under its
/// mask; the server learns a new mask from the positions of an upload. Aggregation averages
/// each position over the clients of the round whose masks keep it (masked averaging, weighted
/// by training samples, or the run's robust rule); a position none of them keeps stays as it was.
/// The global model itself stays dense: it is what the clients' masks cut, and what the
/// coordinator evaluates on the test split; the clients' own models are evaluated on their
/// held-out splits (`PersonalEvaluation`).
public final class LotteryFLServer: ServerMethod {
    public let global: Network
    let setup: MethodSetup
    let configuration: LotteryFLConfiguration
    /// The shape of every state tensor, by name.
    let shapes: [String: [Int]]
    /// The names of the weights clients prune.
    let prunable: Set<String>
    /// The kept positions of each client's pruned weights, by client and weight; a weight not
    /// listed is dense for that client.
    private(set) var clientMasks: [Int: [String: [Int32]]] = [:]

    public init(setup: MethodSetup, settings: LotteryFLSettings) throws {
        self.setup = setup
        configuration = try LotteryFLConfiguration(settings)
        global = try setup.makeNetwork()
        shapes = Dictionary(uniqueKeysWithValues: global.parameters.map { ($0.name, $0.parameter.shape) })
        prunable = Set(global.prunableLayers().map(\.name))
    }

    /// The mean density of the masks of the clients the server has heard from (each client's kept
    /// prunable weights over all prunable weights); nil before any client answered.
    public var modelDensity: Double? {
        guard !clientMasks.isEmpty else { return nil }
        let total = global.prunableLayers().reduce(0) { $0 + $1.layer.weight.denseCount }
        // In client order, so that the sum does not depend on the dictionary's order.
        let densities = clientMasks.keys.sorted().compactMap { clientMasks[$0] }.map { masks in
            let kept = global.prunableLayers().reduce(0) { $0 + (masks[$1.name]?.count ?? $1.layer.weight.denseCount) }
            return Double(kept) / Double(max(1, total))
        }
        return densities.reduce(0, +) / Double(densities.count)
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        let settings = LocalSGD.settings(setup.training).merging(configuration.taskSettings) { $1 }
        let dense = global.stateTensors
        return clients.map { client in
            let masks = clientMasks[client] ?? [:]
            let tensors = dense.map { tensor in
                guard let kept = masks[tensor.name], case .dense(let values) = tensor.payload else { return tensor }
                let gathered = kept.map { values[Int($0)] }
                return NamedTensor(
                    name: tensor.name, payload: .sparse(shape: values.shape, indices: kept, values: gathered))
            }
            return ClientTask(client: client, round: round, kind: .train, settings: settings, tensors: tensors)
        }
    }

    /// The state sent back, each prunable weight under the mask sent or a subset of it, with the
    /// client's evaluation of its own model.
    public func contract(for task: ClientTask) -> ResultContract {
        let entries = task.tensors.compactMap { tensor -> ResultContract.Entry? in
            guard prunable.contains(tensor.name) else { return ResultContract.stateEntry(tensor) }
            switch tensor.payload {
            case .sparse(let shape, let indices, _):
                return ResultContract.Entry(name: tensor.name, form: .pruning(shape: shape, kept: indices))
            case .dense(let values):
                return ResultContract.Entry(name: tensor.name, form: .pruning(shape: values.shape, kept: nil))
            case .mask, .maskUnchanged:
                return nil
            }
        }
        return ResultContract(entries: entries).personalized
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let weighted = try SparseGlobalModel.weighted(results, round: round)
        guard !weighted.isEmpty else { return }
        let contributions = try weighted.map { entry -> MaskedAverage.Contribution in
            let client = entry.result.client
            let state = entry.result.tensors.filter { shapes[$0.name] != nil }
            let resolved = try SparseTransfer.resolve(state, shapes: shapes, sent: clientMasks[client] ?? [:])
            var masks: [String: [Int32]] = [:]
            for (name, dense, kept) in resolved where prunable.contains(name) {
                if let kept, kept.count < dense.count { masks[name] = kept }
            }
            clientMasks[client] = masks
            return (entry.weight, resolved)
        }
        let (values, held) = try MaskedAverage.average(
            contributions, shapes: shapes, aggregation: setup.aggregation, reference: Aggregation.reference(global))
        for named in global.parameters {
            guard let average = values[named.name] else { continue }
            let parameter = named.parameter
            if let kept = held[named.name] {
                // Only the positions some client of the round keeps change.
                for position in kept { parameter.value[Int(position)] = average[Int(position)] }
            } else {
                average.withUnsafeBufferPointer { parameter.assignDense($0.baseAddress!) }
            }
        }
    }

    /// The clients' masks, so that a resumed run goes on from them.
    public func checkpointExtra() -> [UInt8]? { LotteryFLMasks.encode(clientMasks, order: global) }

    /// Restores the clients' masks a checkpoint saved.
    public func restore(checkpointExtra: [UInt8]?) throws {
        clientMasks =
            try checkpointExtra.map { try LotteryFLMasks.decode($0, shapes: shapes, prunable: prunable) } ?? [:]
    }
}
