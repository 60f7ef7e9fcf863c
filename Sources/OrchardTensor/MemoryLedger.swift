import Synchronization

/// What a tensor's bytes are for, so that reports can split a footprint into its parts.
public enum TensorRole: Int, CaseIterable, Sendable {
    /// Trainable parameters and persistent statistics (BatchNorm running mean and variance).
    case parameter
    /// Gradients of parameters.
    case gradient
    /// Optimizer state such as momentum buffers.
    case optimizerState
    /// Activations and their gradients, kept for the backward pass.
    case activation
    /// Scratch space of kernels (im2col columns and the like).
    case workspace
    /// Input batches and other data copied in from a data set.
    case data
}

/// The bytes of live tensors in this process, by role, and their peak since the last reset.
///
/// Every `Tensor` allocation and release passes through here, so the figures are the engine's own
/// count of what it holds, not an estimate. Client hosts run one task at a time, so the process-wide
/// peak between `resetPeak()` and `peakBytes` is the task's peak.
public enum MemoryLedger {
    private static let live = Mutex(Counts())

    private struct Counts {
        var byRole = [Int](repeating: 0, count: TensorRole.allCases.count)
        var total = 0
        var peak = 0
    }

    static func allocate(_ bytes: Int, role: TensorRole) {
        live.withLock { counts in
            counts.byRole[role.rawValue] += bytes
            counts.total += bytes
            counts.peak = max(counts.peak, counts.total)
        }
    }

    static func release(_ bytes: Int, role: TensorRole) {
        live.withLock { counts in
            counts.byRole[role.rawValue] -= bytes
            counts.total -= bytes
        }
    }

    /// Bytes of all live tensors.
    public static var liveBytes: Int { live.withLock { $0.total } }

    /// Bytes of live tensors with the given role.
    public static func liveBytes(_ role: TensorRole) -> Int { live.withLock { $0.byRole[role.rawValue] } }

    /// The largest `liveBytes` seen since the last `resetPeak()`.
    public static var peakBytes: Int { live.withLock { $0.peak } }

    /// Starts a new peak measurement from the bytes live now.
    public static func resetPeak() { live.withLock { $0.peak = $0.total } }
}
