import OrchardFederation
import OrchardPayload
import OrchardTensor
import OrchardWire

/// Turns the federation's tasks and results into wire messages and back.
enum TaskMessages {
    /// The task message, with frames already encoded (`TaskFrames`).
    static func message(
        _ task: ClientTask, taskID: UInt64, runID: UInt64, model: String, timeoutSeconds: Double,
        frames: [TensorFrame]
    ) -> Message {
        let assignment = TaskAssignment(
            taskID: taskID, clientID: UInt32(task.client), kind: TaskKind(rawValue: task.kind.rawValue), model: model,
            hyperparameters: task.settings, settings: [:],
            timeoutMilliseconds: UInt32(min(timeoutSeconds * 1000, Double(UInt32.max))))
        return Message(runID: runID, round: UInt32(task.round), body: .task(assignment), tensors: frames)
    }

    /// Frames for named tensors, each in its cheapest encoding.
    static func frames(_ tensors: [NamedTensor], precision: ValuePrecision) throws -> [TensorFrame] {
        try tensors.map { try TensorFrame(name: $0.name, payload: $0.payload, precision: precision) }
    }

    /// The federation's task from a received task message and its tensors, which a
    /// `HostMaskCache` resolved.
    /// - Throws: `FederationError` for a task kind no method runs.
    static func task(_ message: Message, assignment: TaskAssignment, tensors: [NamedTensor]) throws -> ClientTask {
        ClientTask(
            client: Int(assignment.clientID), round: Int(message.round),
            kind: try ClientTask.Kind(wireName: assignment.kind.rawValue),
            settings: assignment.hyperparameters, tensors: tensors)
    }

    /// The result message of a task; its values travel as binary32.
    static func message(_ result: ClientResult, taskID: UInt64, runID: UInt64) throws -> Message {
        let status: ResultStatus
        switch result.outcome {
        case .ok: status = .ok
        case .refused: status = .refused
        case .error: status = .error
        }
        let body = TaskResult(
            taskID: taskID, clientID: UInt32(result.client), status: status, reason: result.reason,
            metrics: result.metrics)
        return Message(
            runID: runID, round: UInt32(result.round), body: .result(body),
            tensors: result.outcome == .ok ? try frames(result.tensors, precision: .float32) : [])
    }

    /// The result message of a task that failed, which carries no tensors and so always encodes.
    static func failure(
        client: Int, round: UInt32, reason: String, metrics: [String: Double], taskID: UInt64, runID: UInt64
    ) -> Message {
        let body = TaskResult(
            taskID: taskID, clientID: UInt32(client), status: .error, reason: reason, metrics: metrics)
        return Message(runID: runID, round: round, body: .result(body), tensors: [])
    }

    /// The federation's result from a received result message.
    static func result(_ message: Message, body: TaskResult, kind: ClientTask.Kind) throws -> ClientResult {
        let outcome: TaskOutcome
        switch body.status {
        case .ok: outcome = .ok
        case .refused: outcome = .refused
        default: outcome = .error
        }
        return ClientResult(
            client: Int(body.clientID), round: Int(message.round), kind: kind, outcome: outcome, reason: body.reason,
            metrics: body.metrics, tensors: try namedTensors(message.tensors))
    }

    static func namedTensors(_ frames: [TensorFrame]) throws -> [NamedTensor] {
        try frames.map { frame in NamedTensor(name: frame.name, payload: try frame.decodedPayload(role: .data)) }
    }
}
