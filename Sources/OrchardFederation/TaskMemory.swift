import OrchardNN
import OrchardTensor

/// The memory a client task measures: its model and every tensor the task allocates, counted in a
/// scope of its own.
///
/// A client half builds its network for each task and runs the task inside `measure(adopting:)`,
/// which counts the network's parameters in the task's scope; training calls `resetPeak()` once
/// the received model is loaded and pruned. The measured peak is then what the task's device holds
/// while it trains (model, gradients, optimizer state, activations, batches and buffers) and
/// nothing else: not the received tensors, not buffers an earlier task left, and not what other
/// work in the same process allocates (tests run in parallel).
public enum TaskMemory {
    /// Runs a task's body in a fresh memory scope that counts `network`'s parameters as its own.
    public static func measure<T>(adopting network: Network, _ body: () throws -> T) rethrows -> T {
        try MemoryScope.measure {
            network.countParametersInCurrentScope()
            return try body()
        }.0
    }

    /// Starts the peak anew from the bytes live now: in the task's scope, or process-wide outside one.
    public static func resetPeak() {
        if !MemoryScope.resetCurrentPeak() { MemoryLedger.resetPeak() }
    }

    /// The largest bytes live at once since the last reset: the task's scope's, or the process's
    /// outside a scope.
    public static var peak: Int { MemoryScope.currentPeak ?? MemoryLedger.peakBytes }
}

/// A client half that builds its model anew for each task and measures what the task holds.
///
/// The model starts from the method's initialisation and is overwritten by what the task sends, so
/// a result does not depend on which host ran the task or what it ran before; building it outside
/// the task's memory scope and counting its parameters in (`TaskMemory.measure(adopting:)`) makes
/// the measured peak the task's alone.
protocol ModelPerTaskClient: ClientMethod {
    var setup: MethodSetup { get }
    /// The current task's model.
    var network: Network { get set }
    /// The task's work, on `network`, inside its memory scope.
    func runMeasured(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult
}

extension ModelPerTaskClient {
    public func run(_ task: consuming ClientTask, on client: LocalClient) throws -> ClientResult {
        let task = task
        network = try setup.makeNetwork()
        return try TaskMemory.measure(adopting: network) { try runMeasured(task, on: client) }
    }
}
