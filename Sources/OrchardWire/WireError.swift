/// Why a message could not be encoded or decoded, naming the frame, field and kind at fault.
///
/// Frame indices count the frames of the message as `MessageCodec` sees them: 0 is the envelope,
/// 1 the first tensor frame. On a ROUTER, the routing id is split off before, so it is not counted.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Equatable, Sendable {
        /// The message has no frames at all.
        case noFrames
        /// The message has more frames than `DecodingLimits.maxFrames`.
        case tooManyFrames(count: Int, limit: Int)
        /// All frames together pass `DecodingLimits.maxTotalBytes`.
        case messageTooLarge(bytes: Int, limit: Int)
        /// The envelope frame passes `DecodingLimits.maxEnvelopeBytes`.
        case envelopeTooLarge(bytes: Int, limit: Int)
        /// The envelope frame is not a valid protobuf `Envelope`.
        case malformedEnvelope(String)
        /// The envelope's version is not `ProtocolVersion.current`.
        case unsupportedVersion(UInt32)
        /// The envelope's kind is 0 or a number this version does not know.
        case unknownKind(UInt32)
        /// The envelope's body is missing or of another kind than the envelope says.
        case bodyMismatch(kind: MessageKind, body: String)
        /// A field of the envelope holds a value the protocol does not allow.
        case invalidField(field: String, problem: String)
        /// The envelope describes a different number of tensors than there are frames after it.
        case frameCountMismatch(descriptors: Int, tensorFrames: Int)
        /// Tensor `tensor` (0-based, frame `tensor + 1`) uses an encoding this build cannot read.
        case unsupportedEncoding(tensor: Int, name: String, encoding: UInt32)
        /// Tensor `tensor` has more dimensions than `DecodingLimits.maxRank`.
        case rankTooLarge(tensor: Int, name: String, rank: Int, limit: Int)
        /// Tensor `tensor` has a dimension or an element count (at least `elements`) past
        /// `DecodingLimits.maxElements`.
        case tooManyElements(tensor: Int, name: String, elements: UInt64, limit: Int)
        /// Tensor `tensor` declares more bytes than `DecodingLimits.maxTensorBytes`.
        case tensorTooLarge(tensor: Int, name: String, bytes: UInt64, limit: Int)
        /// Tensor `tensor` declares a byte length its shape and encoding do not give; `expected`
        /// is `UInt64.max` when the shape's size does not fit 64 bits.
        case shapeMismatch(tensor: Int, name: String, byteLength: UInt64, expected: UInt64)
        /// Tensor `tensor` declares a byte length other than its frame's size.
        case byteLengthMismatch(tensor: Int, name: String, declared: UInt64, frameBytes: Int)
        /// A tensor frame was to be decoded into a tensor of another shape.
        case tensorShapeMismatch(name: String, frame: [Int], tensor: [Int])
        /// Tensor `tensor`'s sparse or mask frame is not what its layout allows (a count, length,
        /// Rice parameter or position out of place), or positions given to encode are not
        /// strictly ascending below the element count; `problem` says which.
        case malformedTensor(tensor: Int, name: String, problem: String)
        /// A `MASK_UNCHANGED` frame was to be decoded into values; only the receiver, which holds
        /// the mask of round `sinceRound`, can resolve it.
        case unresolvedMask(name: String, sinceRound: Int)
    }

    /// What is wrong.
    public let reason: Reason
    /// The kind number of the message at fault as it was sent, 0 when unknown or unreadable.
    public let offendingKind: UInt32

    /// Creates an error.
    public init(_ reason: Reason, offendingKind: UInt32 = 0) {
        self.reason = reason
        self.offendingKind = offendingKind
    }

    /// The same error, attributed to a message of the given kind.
    func attributed(to kind: UInt32) -> WireError { WireError(reason, offendingKind: kind) }

    /// The code that an error message answering this failure carries.
    public var code: ErrorCode {
        switch reason {
        case .unsupportedVersion: .unsupportedVersion
        case .unknownKind: .unknownKind
        case .unsupportedEncoding: .unsupportedEncoding
        case .tooManyFrames, .messageTooLarge, .envelopeTooLarge, .rankTooLarge, .tooManyElements,
            .tensorTooLarge:
            .limitExceeded
        case .noFrames, .malformedEnvelope, .bodyMismatch, .invalidField, .frameCountMismatch,
            .shapeMismatch, .byteLengthMismatch, .tensorShapeMismatch, .malformedTensor:
            .malformed
        case .unresolvedMask: .unexpectedMessage
        }
    }

    /// The index of the frame at fault (0 is the envelope), when one frame is.
    public var frame: Int? {
        switch reason {
        case .envelopeTooLarge, .malformedEnvelope, .unsupportedVersion, .unknownKind, .bodyMismatch,
            .invalidField:
            0
        case .unsupportedEncoding(let tensor, _, _), .rankTooLarge(let tensor, _, _, _),
            .tooManyElements(let tensor, _, _, _), .tensorTooLarge(let tensor, _, _, _),
            .shapeMismatch(let tensor, _, _, _), .byteLengthMismatch(let tensor, _, _, _),
            .malformedTensor(let tensor, _, _):
            tensor + 1
        case .noFrames, .tooManyFrames, .messageTooLarge, .frameCountMismatch, .tensorShapeMismatch,
            .unresolvedMask:
            nil
        }
    }

    /// The error message that answers the rejected message, for the sender to log and count.
    public func reply(runID: UInt64 = 0, round: UInt32 = 0) -> Message {
        Message(
            runID: runID, round: round,
            body: .error(ErrorReport(code: code, message: description, offendingKind: offendingKind)))
    }

    public var description: String {
        let kind = MessageKind(rawValue: offendingKind).map { "\($0) message: " } ?? ""
        return kind + reasonText
    }

    private var reasonText: String {
        switch reason {
        case .noFrames:
            return "no frames"
        case .tooManyFrames(let count, let limit):
            return "\(count) frames, more than the limit of \(limit)"
        case .messageTooLarge(let bytes, let limit):
            return "\(bytes) bytes in all frames, more than the limit of \(limit)"
        case .envelopeTooLarge(let bytes, let limit):
            return "frame 0 (envelope): \(bytes) bytes, more than the limit of \(limit)"
        case .malformedEnvelope(let detail):
            return "frame 0 (envelope): not a valid Envelope: \(detail)"
        case .unsupportedVersion(let version):
            return "frame 0 (envelope): version \(version), but this peer speaks \(ProtocolVersion.current)"
        case .unknownKind(let kind):
            return "frame 0 (envelope): unknown kind \(kind)"
        case .bodyMismatch(let kind, let body):
            return "frame 0 (envelope): kind \(kind) with \(body) body"
        case .invalidField(let field, let problem):
            return "frame 0 (envelope): field \(field): \(problem)"
        case .frameCountMismatch(let descriptors, let frames):
            return "\(descriptors) tensor descriptors but \(frames) tensor frames"
        case .unsupportedEncoding(let tensor, let name, let encoding):
            let known = TensorEncoding(rawValue: encoding).map { "\($0)" } ?? "\(encoding)"
            return "\(Self.tensor(tensor, name)): unsupported encoding \(known)"
        case .rankTooLarge(let tensor, let name, let rank, let limit):
            return "\(Self.tensor(tensor, name)): rank \(rank), more than the limit of \(limit)"
        case .tooManyElements(let tensor, let name, let elements, let limit):
            return "\(Self.tensor(tensor, name)): \(elements) or more elements, more than the limit of \(limit)"
        case .tensorTooLarge(let tensor, let name, let bytes, let limit):
            return "\(Self.tensor(tensor, name)): byte_length \(bytes), more than the limit of \(limit)"
        case .shapeMismatch(let tensor, let name, let length, let expected):
            let wanted = expected == .max ? "more than 2^64" : "\(expected)"
            return "\(Self.tensor(tensor, name)): byte_length \(length), but the shape and encoding give \(wanted)"
        case .byteLengthMismatch(let tensor, let name, let declared, let actual):
            return "\(Self.tensor(tensor, name)): byte_length \(declared), but the frame holds \(actual) bytes"
        case .tensorShapeMismatch(let name, let frame, let tensor):
            return "tensor '\(name)' of shape \(frame) cannot be decoded into a tensor of shape \(tensor)"
        case .malformedTensor(let tensor, let name, let problem):
            return "\(Self.tensor(tensor, name)): \(problem)"
        case .unresolvedMask(let name, let round):
            return "tensor '\(name)' is the mask of round \(round), unchanged: only its holder can resolve it"
        }
    }

    private static func tensor(_ index: Int, _ name: String) -> String {
        "frame \(index + 1) (tensors[\(index)] '\(name)')"
    }
}
