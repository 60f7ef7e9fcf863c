import COrchardZMQ

/// A ZeroMQ context: the I/O threads and the registry of sockets of one process.
///
/// Contexts are thread-safe in libzmq, hence `Sendable`. Every `ZMQSocket` holds a strong
/// reference to its context, so the context outlives its sockets and `zmq_ctx_term` in `deinit`
/// never waits on a socket that is still open. (If the context could be released first, the
/// termination would block forever on a socket owned by the same thread.)
public final class ZMQContext: @unchecked Sendable {
    /// The `void *` handle from `zmq_ctx_new`.
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    ///
    /// - Parameter ioThreads: threads that move bytes between sockets and the network. One is
    ///   enough for about a gigabyte a second; the machines Orchard targets have two cores, and
    ///   the rest of the process needs them more.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS, \(ioThreads))")
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// Makes blocking calls on this context's sockets, in any thread, fail with
    /// `ZMQError.terminated`, so that the threads using them can close them and finish.
    ///
    /// Use it to stop a thread that waits in `receive` or `poll`; the context itself is terminated
    /// when the last reference to it goes away.
    public func shutdown() {
        zmq_ctx_shutdown(handle)
    }

    /// The version of the libzmq this process runs with, such as `(4, 3, 4)`.
    public static var libraryVersion: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    deinit {
        // Every socket holds this context, so all of them are closed by now and, with their
        // linger periods bounded, termination returns promptly. EINTR only means a signal arrived.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
