/// The largest message a receiver accepts, checked before it allocates anything for one.
///
/// Every length a peer declares is compared with these figures and with the frames it really
/// sent, so a hostile or broken peer cannot make the receiver allocate more than it chose to
/// allow. The defaults fit ResNet-18-sized models (11 M parameters, 45 MB) with room to spare.
public struct DecodingLimits: Sendable, Equatable {
    /// The most frames in one message: the envelope plus tensor frames.
    public var maxFrames: Int
    /// The largest envelope frame, in bytes.
    public var maxEnvelopeBytes: Int
    /// The largest tensor frame, in bytes.
    public var maxTensorBytes: Int
    /// The largest message, all frames together, in bytes.
    public var maxTotalBytes: Int
    /// The most dimensions of one tensor.
    public var maxRank: Int
    /// The most elements of one tensor, and the largest single dimension.
    public var maxElements: Int

    /// Creates limits; each defaults to the figure of `standard`.
    public init(
        maxFrames: Int = 1 + 4096, maxEnvelopeBytes: Int = 1 << 20, maxTensorBytes: Int = 256 << 20,
        maxTotalBytes: Int = 1 << 30, maxRank: Int = 8, maxElements: Int = 64 << 20
    ) {
        self.maxFrames = maxFrames
        self.maxEnvelopeBytes = maxEnvelopeBytes
        self.maxTensorBytes = maxTensorBytes
        self.maxTotalBytes = maxTotalBytes
        self.maxRank = maxRank
        self.maxElements = maxElements
    }

    /// 4,097 frames, 1 MiB envelopes, 256 MiB tensors, 1 GiB messages, rank 8, 64 Mi elements.
    public static let standard = DecodingLimits()

    /// The `frameLimit` for `ZMQSocket.receiveMessage`: `maxFrames`, plus one on a ROUTER, whose
    /// messages start with the sender's routing id.
    public func receiveFrameLimit(routed: Bool) -> Int {
        routed ? maxFrames.addingReportingOverflow(1).partialValue : maxFrames
    }

    /// The largest single frame these limits accept: the figure for `ZMQSocket.setMaxMessageSize`,
    /// so that ZeroMQ refuses larger frames before it allocates them.
    public var maxFrameBytes: Int { max(maxEnvelopeBytes, maxTensorBytes) }
}
