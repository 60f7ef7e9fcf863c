import OrchardNN

/// What FedTiny's clients send back for each kind of task.
extension FedTinyServer {
    /// Selection rounds: each candidate's batch-norm statistics (`bn_stats`), or each candidate's
    /// loss and correct count (`score`); training rounds: the state under the masks sent, and in
    /// an adjustment round at most `k/<name>` gradients of each adjusted layer's pruned positions.
    public func contract(for task: ClientTask) -> ResultContract {
        let candidates = configuration.candidates
        var contract = ResultContract()
        contract.countMetrics.insert("validation_samples")
        switch task.kind {
        case .batchNormStatistics:
            let statistics = BatchNormStatistics(of: global).values
            contract.entries = (0..<candidates).flatMap { candidate in
                statistics.keys.sorted().map { name in
                    ResultContract.Entry(
                        name: FedTinyProtocol.candidateName(candidate, name),
                        form: .dense(shape: [statistics[name]?.count ?? 0]))
                }
            }
        case .score:
            for candidate in 0..<candidates {
                contract.requiredMetrics.formUnion([
                    FedTinyProtocol.lossMetric(candidate), FedTinyProtocol.correctMetric(candidate),
                ])
                contract.countMetrics.insert(FedTinyProtocol.correctMetric(candidate))
            }
        default:
            let training = Self.trainingContract(for: task)
            contract.entries = training.entries
            contract.countMetrics.formUnion(training.countMetrics)
        }
        return contract
    }

    /// What a `train` or `adjust` result holds: the state under the masks sent and, in an
    /// adjustment, the top-K gradients asked for (GraNet's clients answer the same way).
    static func trainingContract(for task: ClientTask) -> ResultContract {
        var contract = ResultContract.returningState(of: task)
        contract.entries += topKEntries(task)
        contract.countMetrics.formUnion(["topk_k", "topk_requested", "topk_buffer_bytes"])
        return contract
    }

    /// The top-K gradients an adjustment task asks for: per `k/<name>` setting, a sparse tensor
    /// of the weight's shape with at most k positions, all of them pruned.
    static func topKEntries(_ task: ClientTask) -> [ResultContract.Entry] {
        let counts = FedTinyClient.requestedCounts(task)
        return task.tensors.compactMap { tensor in
            guard let k = counts[tensor.name] else { return nil }
            let form: ResultContract.Form
            switch tensor.payload {
            case .sparse(let shape, let kept, _): form = .sparse(shape: shape, atMost: max(0, k), outside: kept)
            // A weight sent whole has no pruned position to report.
            default: form = .sparse(shape: tensor.shape, atMost: 0, outside: [])
            }
            return ResultContract.Entry(name: FedTinyProtocol.topKName(tensor.name), form: form)
        }
    }
}
