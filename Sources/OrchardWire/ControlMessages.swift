/// A sign of life, sent by either side when it has had nothing else to send for an interval.
public struct Heartbeat: Sendable, Equatable {
    /// The sender: a client host's id, or `coordinator`.
    public var hostID: String
    /// One more than the sender's previous heartbeat on this connection.
    public var sequence: UInt64
    /// The sender's wall clock at sending, in nanoseconds since 1970; informational only.
    public var sentUnixNanoseconds: UInt64

    /// Creates a heartbeat.
    public init(hostID: String, sequence: UInt64, sentUnixNanoseconds: UInt64 = 0) {
        self.hostID = hostID
        self.sequence = sequence
        self.sentUnixNanoseconds = sentUnixNanoseconds
    }
}

/// Why a message was rejected or something failed; the `ErrorCode` enum of `Protos/orchard.proto`.
///
/// An open set: a peer of a later version may send a code this one does not name, and it still
/// decodes, as `ErrorCode(rawValue:)` with that value.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public let rawValue: UInt32

    /// Creates a code from its wire number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// No code was given.
    public static let unspecified = ErrorCode(rawValue: 0)
    /// The envelope's version is not one the receiver speaks.
    public static let unsupportedVersion = ErrorCode(rawValue: 1)
    /// The envelope's kind is not one the receiver knows.
    public static let unknownKind = ErrorCode(rawValue: 2)
    /// The frames do not form a valid message.
    public static let malformed = ErrorCode(rawValue: 3)
    /// A size, count, rank or element limit was passed.
    public static let limitExceeded = ErrorCode(rawValue: 4)
    /// A tensor uses an encoding the receiver cannot read.
    public static let unsupportedEncoding = ErrorCode(rawValue: 5)
    /// A valid message that is not allowed now, such as a task before the welcome.
    public static let unexpectedMessage = ErrorCode(rawValue: 6)
    /// A message names a logical client the receiver does not serve or know.
    public static let unknownClient = ErrorCode(rawValue: 7)
    /// The sender failed for a reason of its own.
    public static let internalError = ErrorCode(rawValue: 8)
    /// A result that does not fit its task: ids, figures, tensors, shapes, masks or values.
    public static let invalidResult = ErrorCode(rawValue: 9)
    /// The sender has not said hello, or was presumed lost: it must say hello again.
    public static let unknownHost = ErrorCode(rawValue: 10)
    /// Another live process says hello under the same host id: this one must not take part.
    public static let hostIDInUse = ErrorCode(rawValue: 11)

    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .unsupportedVersion: "unsupported version"
        case .unknownKind: "unknown kind"
        case .malformed: "malformed"
        case .limitExceeded: "limit exceeded"
        case .unsupportedEncoding: "unsupported encoding"
        case .unexpectedMessage: "unexpected message"
        case .unknownClient: "unknown client"
        case .internalError: "internal error"
        case .invalidResult: "invalid result"
        case .unknownHost: "unknown host"
        case .hostIDInUse: "host id in use"
        default: "error code \(rawValue)"
        }
    }
}

/// A report that a message was rejected, or that something failed.
public struct ErrorReport: Sendable, Equatable {
    /// What went wrong, in general.
    public var code: ErrorCode
    /// What went wrong, for a person: which frame and which field.
    public var message: String
    /// The kind number of the rejected message as it was sent, 0 if it could not be read.
    public var offendingKind: UInt32

    /// Creates an error report.
    public init(code: ErrorCode, message: String, offendingKind: UInt32 = 0) {
        self.code = code
        self.message = message
        self.offendingKind = offendingKind
    }
}

/// The end of the run for the receiving host.
public struct Shutdown: Sendable, Equatable {
    /// Why the run ends, such as `finished` or `interrupted by the user`.
    public var reason: String

    /// Creates a shutdown.
    public init(reason: String) { self.reason = reason }
}
