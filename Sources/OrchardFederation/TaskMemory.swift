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
