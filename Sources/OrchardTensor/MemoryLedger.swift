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

/// Live bytes by role, their peak, and how many allocations made them.
public struct MemoryCounts: Sendable {
    public var byRole = [Int](repeating: 0, count: TensorRole.allCases.count)
    public var total = 0
    public var peak = 0
    public var allocations = 0

    mutating func allocate(_ bytes: Int, role: TensorRole) {
        byRole[role.rawValue] += bytes
        total += bytes
        peak = max(peak, total)
        allocations += 1
    }

    mutating func release(_ bytes: Int, role: TensorRole) {
        byRole[role.rawValue] -= bytes
        total -= bytes
    }
}

/// The bytes of live tensors in this process, by role, and their peak since the last reset.
///
/// Every `Tensor` allocation and release passes through here, so the figures are the engine's own
/// count of what it holds, not an estimate. Client hosts run one task at a time, so the process-wide
/// peak between `resetPeak()` and `peakBytes` is the task's peak. Code that shares the process with
/// other work (tests running in parallel) measures inside a `MemoryScope` instead.
public enum MemoryLedger {
    private static let live = Mutex(MemoryCounts())

    static func allocate(_ bytes: Int, role: TensorRole) -> MemoryScope? {
        live.withLock { $0.allocate(bytes, role: role) }
        let scope = MemoryScope.current
        scope?.counts.withLock { $0.allocate(bytes, role: role) }
        return scope
    }

    static func release(_ bytes: Int, role: TensorRole, scope: MemoryScope?) {
        live.withLock { $0.release(bytes, role: role) }
        scope?.counts.withLock { $0.release(bytes, role: role) }
    }

    /// Bytes of all live tensors.
    public static var liveBytes: Int { live.withLock { $0.total } }

    /// Bytes of live tensors with the given role.
    public static func liveBytes(_ role: TensorRole) -> Int { live.withLock { $0.byRole[role.rawValue] } }

    /// The largest `liveBytes` seen since the last `resetPeak()`.
    public static var peakBytes: Int { live.withLock { $0.peak } }

    /// How many tensors have been allocated in this process.
    public static var allocationCount: Int { live.withLock { $0.allocations } }

    /// Starts a new peak measurement from the bytes live now.
    public static func resetPeak() { live.withLock { $0.peak = $0.total } }
}

/// Counts the tensors allocated while a closure runs on the current task, wherever they are freed.
public final class MemoryScope: Sendable {
    @TaskLocal static var current: MemoryScope?
    let counts = Mutex(MemoryCounts())

    private init() {}

    /// Starts the innermost scope's peak anew from its live bytes; false outside any scope.
    @discardableResult
    public static func resetCurrentPeak() -> Bool {
        guard let current else { return false }
        current.counts.withLock { $0.peak = $0.total }
        return true
    }

    /// Counts `bytes` of storage allocated elsewhere in the current scope from now on, taking
    /// them off `previous`; returns the scope that now counts them.
    static func adopt(_ bytes: Int, role: TensorRole, from previous: MemoryScope?) -> MemoryScope? {
        guard let current, current !== previous else { return previous }
        previous?.counts.withLock { $0.release(bytes, role: role) }
        current.counts.withLock { $0.allocate(bytes, role: role) }
        return current
    }

    /// The peak of the innermost scope the current task runs in, or nil outside any scope.
    public static var currentPeak: Int? { current?.counts.withLock { $0.peak } }

    /// Runs `body` and returns its result with the counts of the tensors it allocated.
    ///
    /// `total` is what is still live when read; `peak` the most that was live at once.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (T, MemoryCounts) {
        let scope = MemoryScope()
        let result = try $current.withValue(scope) { try body() }
        return (result, scope.counts.withLock { $0 })
    }
}
