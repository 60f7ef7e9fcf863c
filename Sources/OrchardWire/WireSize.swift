/// The bytes one message puts on the wire, split the way the coordinator records them.
///
/// The routing id a ROUTER adds or strips is not counted: it is never sent between the peers.
/// `transportBytes` adds ZeroMQ's own framing (ZMTP 3: a flags byte and a 1- or 8-byte length per
/// frame), which is the rest of what TCP carries for the message before encryption.
public struct WireSize: Sendable, Equatable {
    /// The number of frames: the envelope and one per tensor.
    public var frameCount: Int
    /// The bytes of the envelope frame.
    public var envelopeBytes: Int
    /// The bytes of all tensor frames.
    public var tensorBytes: Int
    /// The bytes of the tensor frames of each encoding used.
    public var tensorBytesByEncoding: [TensorEncoding: Int]
    /// The ZMTP framing of all frames, in bytes.
    public var framingBytes: Int
    /// The analytic minimum of the tensor frames, the sum of their
    /// `TensorFrame.analyticMinimumBytes`: the figure `tensorBytes` is compared with.
    public var analyticMinimumBytes: Double

    /// The size of an envelope and the tensor frames that follow it.
    public init(envelopeBytes: Int, tensors: [TensorFrame]) {
        frameCount = 1 + tensors.count
        self.envelopeBytes = envelopeBytes
        tensorBytes = tensors.reduce(0) { $0 + $1.byteLength }
        tensorBytesByEncoding = tensors.reduce(into: [:]) { $0[$1.encoding, default: 0] += $1.byteLength }
        framingBytes = Self.framing(envelopeBytes) + tensors.reduce(0) { $0 + Self.framing($1.byteLength) }
        analyticMinimumBytes = tensors.reduce(0) { $0 + $1.analyticMinimumBytes }
    }

    /// The tensor bytes over their analytic minimum: 1 at the minimum; `nil` when the minimum is 0.
    public var tensorBytesOverAnalyticMinimum: Double? {
        analyticMinimumBytes > 0 ? Double(tensorBytes) / analyticMinimumBytes : nil
    }

    /// The envelope and tensor bytes: the message's payload.
    public var totalBytes: Int { envelopeBytes + tensorBytes }

    /// The payload and ZMTP framing: what the message adds to the TCP stream.
    public var transportBytes: Int { totalBytes + framingBytes }

    /// ZMTP 3.x frame header: one flags byte, then the size in one byte up to 255, else eight.
    static func framing(_ bytes: Int) -> Int { bytes <= 255 ? 2 : 9 }
}

/// A message encoded into frames, ready to send, with its size for byte accounting.
public struct EncodedMessage: Sendable, Equatable {
    /// The message's kind.
    public let kind: MessageKind
    /// The logical client a task or result concerns, `nil` for host- and run-level messages.
    public let clientID: UInt32?
    /// The envelope frame, then one frame per tensor.
    public let frames: [FrameBytes]
    /// The bytes the message puts on the wire.
    public let size: WireSize

    /// The frames' bytes, copied into arrays.
    public var byteArrays: [[UInt8]] { frames.map(\.bytes) }
}

/// A message decoded from frames, with the size it had on the wire.
public struct DecodedMessage: Sendable, Equatable {
    /// The message.
    public let message: Message
    /// The bytes it took on the wire.
    public let size: WireSize
}
