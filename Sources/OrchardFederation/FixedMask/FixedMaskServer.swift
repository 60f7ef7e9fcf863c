import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedAvg over a mask fixed at initialisation: the server half.
///
/// The server scores the initial weights with the chosen criterion (random, magnitude, SNIP,
/// SynFlow or GraSP), keeps the top weights at the planned layer densities, and from then on runs
/// FedAvg on the kept positions only: clients train the pruned model sparsely and send back its
/// kept values, which are averaged position by position over the clients that keep them.
public final class FixedMaskServer: ServerMethod {
    public let global: Network
    let setup: MethodSetup
    /// The kept positions of each pruned weight, by name.
    public let masks: [String: [Int32]]
    private let shapes: [String: [Int]]

    public init(setup: MethodSetup, settings: FixedMaskSettings) throws {
        self.setup = setup
        global = try setup.makeNetwork()
        let mask = try settings.makeCriterion(setup).mask(for: global, plan: settings.pruning.plan)
        // The server holds the model masked: dense storage, zeros at pruned positions.
        try mask.prune(global, batch: setup.training.batch, storage: .masked)
        masks = global.masks
        shapes = Dictionary(uniqueKeysWithValues: global.parameters.map { ($0.name, $0.parameter.shape) })
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        let settings = LocalSGD.settings(setup.training)
        let tensors = SparseTransfer.download(global)
        return clients.map {
            ClientTask(client: $0, round: round, kind: .train, settings: settings, tensors: tensors)
        }
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let usable = results.filter { $0.outcome == .ok && $0.kind == .train }
        guard !usable.isEmpty else { return }
        let contributions = try usable.map { result -> MaskedAverage.Contribution in
            guard let samples = result.metrics["samples"], samples > 0 else {
                throw FederationError(
                    "the train result of client \(result.client) in round \(round) reports no samples")
            }
            return (samples, try SparseTransfer.resolve(result.tensors, shapes: shapes, sent: masks))
        }
        let (values, _) = try MaskedAverage.average(
            contributions, shapes: shapes, aggregation: setup.aggregation, reference: Aggregation.reference(global))
        for named in global.parameters {
            guard let average = values[named.name] else {
                throw FederationError("no client sent '\(named.name)' in round \(round)")
            }
            // The mask is fixed: assigning keeps the pruned positions at zero.
            average.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
    }
}
