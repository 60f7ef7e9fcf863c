import COrchardZMQ

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// A failed ZeroMQ call: the `zmq_errno()` code and the operation that failed.
///
/// The cases a caller handles differently from a plain failure have their own case: an operation
/// that would block or timed out (`EAGAIN`), a context that is being terminated (`ETERM`), and a
/// ROUTER send to a peer that is not connected (`EHOSTUNREACH`, with `ZMQ_ROUTER_MANDATORY`).
public enum ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing was ready: a `dontWait` call found no message or no room, or a send or receive
    /// timeout passed (`EAGAIN`).
    case timeout(operation: String)
    /// The context is being terminated; the socket must be closed (`ETERM`).
    case terminated(operation: String)
    /// A ROUTER was asked to send to a routing id it has no connection for (`EHOSTUNREACH`).
    case hostUnreachable(operation: String)
    /// Any other failure, with its `errno`-style code.
    case failed(code: Int32, operation: String)

    /// Classifies an error code from `zmq_errno()`.
    public init(code: Int32, operation: String) {
        switch code {
        case EAGAIN: self = .timeout(operation: operation)
        case ETERM: self = .terminated(operation: operation)
        case EHOSTUNREACH: self = .hostUnreachable(operation: operation)
        default: self = .failed(code: code, operation: operation)
        }
    }

    /// The error of the last failed ZeroMQ call on this thread.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// The `errno`-style code.
    public var code: Int32 {
        switch self {
        case .timeout: EAGAIN
        case .terminated: ETERM
        case .hostUnreachable: EHOSTUNREACH
        case .failed(let code, _): code
        }
    }

    /// The ZeroMQ call or wrapper operation that failed, such as `zmq_bind(tcp://127.0.0.1:*)`.
    public var operation: String {
        switch self {
        case .timeout(let operation), .terminated(let operation), .hostUnreachable(let operation),
            .failed(_, let operation):
            operation
        }
    }

    /// ZeroMQ's text for the code (`zmq_strerror`).
    public var message: String { String(cString: zmq_strerror(code)) }

    public var description: String { "\(operation) failed: \(message) (errno \(code))" }
}

/// Runs a ZeroMQ call that returns -1 on failure, retrying when a signal interrupted it.
///
/// Blocking calls return `EINTR` when the process receives a signal (a debugger, a profiler, a
/// child exiting); that is not a failure of the call, so it is repeated.
@discardableResult
func retryingInterrupts(_ operation: @autoclosure () -> String, _ call: () -> Int32)
    throws(ZMQError) -> Int32
{
    while true {
        let result = call()
        if result != -1 { return result }
        let code = zmq_errno()
        if code != EINTR { throw ZMQError(code: code, operation: operation()) }
    }
}
