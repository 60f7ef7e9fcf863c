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
    /// The signal received, 0 while none was.
    private static let received = Atomic<Int32>(0)

    /// Whether a stop was asked for.
    public static var isRequested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The signal that asked for the stop (`SIGINT` or `SIGTERM`), if one did.
    public static var receivedSignal: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// The exit status of a process stopped by `signal`, as shells report one killed by it:
    /// 128 plus the signal's number (130 for SIGINT, 143 for SIGTERM); nil while none was received.
    public static var exitStatus: Int32? { receivedSignal.map { 128 + $0 } }

    /// Asks the loops to stop, as the signal `number` would.
    public static func request(_ number: Int32 = SIGTERM) {
        // The first signal is the one reported; a second Ctrl-C does not change the story.
        _ = received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
    }

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
        signal(SIGINT) { number in StopSignal.request(number) }
        signal(SIGTERM) { number in StopSignal.request(number) }
    }
}
