import OrchardNN
import OrchardTensor

/// FedAvg's server half (McMahan et al., 2017): send the global model, average what comes back.
///
/// The average is weighted by each client's training samples and covers every tensor of the state,
/// batch-norm running statistics included; the run's `aggregation` may replace it by a robust rule. A round in which no client answered leaves the model as
/// it was.
public final class FedAvgServer: ServerMethod {
    public let global: Network
    let setup: MethodSetup

    public init(setup: MethodSetup) throws {
        self.setup = setup
        global = try setup.makeNetwork()
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        let settings = LocalSGD.settings(setup.training)
        return clients.map {
            ClientTask(client: $0, round: round, kind: .train, settings: settings, tensors: global.stateTensors)
        }
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        let usable = results.filter { $0.outcome == .ok && $0.kind == .train }
        guard !usable.isEmpty else { return }
        let contributions = try usable.map { result -> (weight: Double, tensors: [NamedTensor]) in
            guard let samples = result.metrics["samples"], samples > 0 else {
                throw FederationError(
                    "the train result of client \(result.client) in round \(round) reports no samples")
            }
            return (samples, result.tensors)
        }
        try WeightedAverage.apply(contributions, to: global, aggregation: setup.aggregation)
    }
}
