/// FedRTS (Huang et al., 2025): the client half.
///
/// A client trains the sparse model it receives and, in an adjustment round, also sends the
/// top-K gradients of the pruned positions of each layer the task names (`k/<name>`), found in a
/// buffer its memory budget leaves after training: exactly what FedTiny's clients do in their
/// training rounds, so the work is theirs (`FedTinyClient`); FedRTS runs no selection task.
public final class FedRTSClient: ClientMethod {
    let fedTiny: FedTinyClient

    public init(setup: MethodSetup, settings: FedRTSSettings) throws {
        let configuration = FedTinyConfiguration(pruning: settings.pruning, topKBufferBytes: settings.topKBufferBytes)
        fedTiny = try FedTinyClient(setup: setup, configuration: configuration)
    }

    public func run(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        guard task.kind == .train || task.kind == .adjust else {
            throw FederationError("fedrts clients do not run '\(task.kind)' tasks")
        }
        return try fedTiny.run(task, on: client)
    }
}
