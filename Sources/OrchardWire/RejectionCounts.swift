/// How many messages a receiver rejected, by error code.
///
/// The receiver of an invalid message counts it, logs it and answers it; this is the count. It is
/// a plain value: the coordinator keeps one per host and writes it with the run's records.
public struct RejectionCounts: Sendable, Equatable {
    /// Rejections by the code of their answer.
    public private(set) var byCode: [ErrorCode: Int] = [:]
    /// All rejections.
    public private(set) var total = 0

    /// Creates an empty count.
    public init() {}

    /// Counts one rejected message.
    public mutating func record(_ error: WireError) {
        byCode[error.code, default: 0] += 1
        total += 1
    }

    /// The rejections with the given code.
    public subscript(code: ErrorCode) -> Int { byCode[code, default: 0] }
}
