import Synchronization

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// A run could not go on; the description says what and where.
public struct RuntimeError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The version a host reports in its hello.
public enum OrchardVersion {
    public static let current = "orchard 0.1.0"
}

/// Ctrl-C (SIGINT) and SIGTERM as a flag the loops poll, so a run stops between messages with what
/// it committed kept, instead of dying mid-write.
public enum StopSignal {
    private static let requested = Atomic<Bool>(false)

    /// Whether a stop was asked for.
    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Asks the loops to stop.
    public static func request() { requested.store(true, ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to the flag.
    ///
    /// Both are unblocked first: a process started by Foundation's `Process` inherits a signal mask
    /// that blocks them, and a host started that way would otherwise never see its stop.
    public static func install() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        signal(SIGINT) { _ in StopSignal.request() }
        signal(SIGTERM) { _ in StopSignal.request() }
    }
}
