import SwiftProtobuf

/// Turns messages into frames and frames into messages, checking every length on the way in.
///
/// A message is an envelope frame (protobuf, `Protos/orchard.proto`) followed by one raw frame per
/// tensor. Decoding never traps on bad input: every way the frames can be wrong ends in a
/// `WireError`, which the receiver counts and answers with `WireError.reply`. Decoding checks, in
/// this order and before it allocates anything sized by the peer: the frame count, the total
/// bytes, the envelope's size, its version and kind, the envelope itself, the body's fields, and
/// for each tensor its encoding, rank, element count and declared bytes against the limits, then
/// against its shape and its frame, and for a sparse or mask frame every count, Rice parameter and
/// position of its layout.
public struct MessageCodec: Sendable {
    /// The largest message the decoder accepts.
    public var limits: DecodingLimits

    /// Creates a codec.
    public init(limits: DecodingLimits = .standard) {
        self.limits = limits
    }

    // MARK: Encoding

    /// Encodes a message into its frames.
    ///
    /// The envelope is encoded with deterministic map ordering, so that one message always gives
    /// the same bytes. Tensor frames are shared, not copied.
    ///
    /// - Throws: `WireError` when a field holds a value the protocol does not allow, the same
    ///   checks the receiver makes, so that a message the receiver would reject is never sent.
    public func encode(_ message: Message) throws(WireError) -> EncodedMessage {
        try message.validate()
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let envelopeBytes: [UInt8]
        do {
            envelopeBytes = try message.envelope().serializedBytes(options: options)
        } catch {
            // Only proto2 required fields or Any transcoding can fail, and the schema has neither.
            throw WireError(.malformedEnvelope("cannot serialise: \(error)"))
        }
        let frames = [FrameBytes(envelopeBytes)] + message.tensors.map(\.payload)
        return EncodedMessage(
            kind: message.kind, clientID: message.clientID, frames: frames,
            size: WireSize(envelopeBytes: envelopeBytes.count, tensors: message.tensors))
    }

    // MARK: Decoding

    /// Decodes the frames of a message, the envelope first (without a ROUTER's routing id).
    public func decode(_ frames: [FrameBytes]) throws(WireError) -> DecodedMessage {
        let totalBytes = frames.reduce(0) { $0 + $1.count }
        return try decode(frames, frameCount: frames.count, totalBytes: totalBytes)
    }

    /// Decodes frames given as byte arrays.
    public func decode(_ frames: [[UInt8]]) throws(WireError) -> DecodedMessage {
        try decode(frames.map(FrameBytes.init))
    }

    /// Decodes a received message in place, without copying its tensor frames.
    ///
    /// Receive it with `frameLimit: limits.receiveFrameLimit(routed:)` so that an overlong
    /// message is cut at receipt; the frames that were dropped still count here, and a message
    /// that lost frames to a lower limit is rejected rather than decoded without them.
    public func decode(_ message: ZMQMessage) throws(WireError) -> DecodedMessage {
        guard message.discardedFrameCount == 0 else {
            throw WireError(
                .tooManyFrames(count: message.frameCount, limit: min(limits.maxFrames, message.frames.count)))
        }
        return try decode(message.frameBytes, frameCount: message.frameCount, totalBytes: message.totalByteCount)
    }

    private func decode(_ frames: [FrameBytes], frameCount: Int, totalBytes: Int) throws(WireError)
        -> DecodedMessage
    {
        guard frameCount > 0, let envelopeFrame = frames.first else { throw WireError(.noFrames) }
        guard frameCount <= limits.maxFrames else {
            throw WireError(.tooManyFrames(count: frameCount, limit: limits.maxFrames))
        }
        guard totalBytes <= limits.maxTotalBytes else {
            throw WireError(.messageTooLarge(bytes: totalBytes, limit: limits.maxTotalBytes))
        }
        guard envelopeFrame.count <= limits.maxEnvelopeBytes else {
            throw WireError(.envelopeTooLarge(bytes: envelopeFrame.count, limit: limits.maxEnvelopeBytes))
        }
        // One copy of the envelope, which is small and bounded by now; SwiftProtobuf parses from
        // contiguous bytes of its own types. The tensor frames are never copied here.
        let envelopeBytes = envelopeFrame.bytes
        let (kind, rawKind) = try Self.readHeader(envelopeBytes)
        do throws(WireError) {
            let envelope = try Self.parse(Orchard_Wire_V1_Envelope.self, envelopeBytes)
            guard envelope.tensors.count == frames.count - 1 else {
                throw WireError(
                    .frameCountMismatch(descriptors: envelope.tensors.count, tensorFrames: frames.count - 1))
            }
            let message = try Message(
                envelope: envelope, kind: kind, tensors: decodeTensors(envelope.tensors, frames.dropFirst()))
            try message.validate()
            return DecodedMessage(
                message: message, size: WireSize(envelopeBytes: envelopeFrame.count, tensors: message.tensors))
        } catch {
            throw error.attributed(to: rawKind)
        }
    }

    /// Reads the version and kind, which keep their field numbers and types in every version,
    /// so that a message of another version is answered as such rather than as malformed.
    private static func readHeader(_ bytes: [UInt8]) throws(WireError) -> (MessageKind, UInt32) {
        let header = try parse(Orchard_Wire_V1_EnvelopeHeader.self, bytes)
        let rawKind = UInt32(truncatingIfNeeded: header.kind.rawValue)
        guard header.version == ProtocolVersion.current else {
            throw WireError(.unsupportedVersion(header.version), offendingKind: rawKind)
        }
        guard let kind = MessageKind(rawValue: rawKind) else {
            throw WireError(.unknownKind(rawKind), offendingKind: rawKind)
        }
        return (kind, rawKind)
    }

    private static func parse<Parsed: SwiftProtobuf.Message>(_ type: Parsed.Type, _ bytes: [UInt8])
        throws(WireError) -> Parsed
    {
        var options = BinaryDecodingOptions()
        // Fields added later within this version are skipped, not kept: nothing a peer sends is
        // held beyond what this version reads. The schema nests four deep (envelope, hello,
        // client, map entry); a deeper message is garbage and stops early.
        options.discardUnknownFields = true
        options.messageDepthLimit = 8
        do {
            return try Parsed(serializedBytes: bytes, options: options)
        } catch {
            throw WireError(.malformedEnvelope(String(describing: error)))
        }
    }

    /// Checks each descriptor against the limits, its shape and its frame, then wraps the frame.
    private func decodeTensors(
        _ descriptors: [Orchard_Wire_V1_TensorDescriptor], _ payloads: ArraySlice<FrameBytes>
    ) throws(WireError) -> [TensorFrame] {
        var tensors: [TensorFrame] = []
        tensors.reserveCapacity(descriptors.count)
        for (index, (descriptor, payload)) in zip(descriptors, payloads).enumerated() {
            let name = Self.clipped(descriptor.name)
            let rawEncoding = UInt32(truncatingIfNeeded: descriptor.encoding.rawValue)
            guard let encoding = TensorEncoding(rawValue: rawEncoding), encoding.isSupported else {
                throw WireError(.unsupportedEncoding(tensor: index, name: name, encoding: rawEncoding))
            }
            guard descriptor.shape.count <= limits.maxRank else {
                throw WireError(
                    .rankTooLarge(tensor: index, name: name, rank: descriptor.shape.count, limit: limits.maxRank))
            }
            let elements = try elementCount(descriptor.shape, tensor: index, name: name)
            guard descriptor.byteLength <= UInt64(clamping: limits.maxTensorBytes) else {
                throw WireError(
                    .tensorTooLarge(
                        tensor: index, name: name, bytes: descriptor.byteLength, limit: limits.maxTensorBytes))
            }
            // Dense frames' sizes follow from the shape; sparse and mask frames are checked against
            // their layout once the frame is known to be the declared size.
            if let expected = encoding.denseByteLength(elements: elements) {
                guard descriptor.byteLength == expected else {
                    throw WireError(
                        .shapeMismatch(tensor: index, name: name, byteLength: descriptor.byteLength, expected: expected)
                    )
                }
            }
            guard descriptor.byteLength == UInt64(payload.count) else {
                throw WireError(
                    .byteLengthMismatch(
                        tensor: index, name: name, declared: descriptor.byteLength, frameBytes: payload.count))
            }
            guard encoding == .maskUnchanged || descriptor.sinceRound == 0 else {
                throw WireError(
                    .malformedTensor(
                        tensor: index, name: name,
                        problem: "since_round \(descriptor.sinceRound) on a \(encoding) frame; it is for MASK_UNCHANGED"
                    ))
            }
            guard encoding == .maskUnchanged || descriptor.maskDigest == 0 else {
                throw WireError(
                    .malformedTensor(
                        tensor: index, name: name,
                        problem: "mask_digest on a \(encoding) frame; it is for MASK_UNCHANGED"))
            }
            // Every dimension is at most maxElements by now, so the conversions cannot trap.
            let shape = descriptor.shape.map { Int($0) }
            tensors.append(
                try TensorFrame(
                    validatingName: descriptor.name, shape: shape, elements: Int(elements), encoding: encoding,
                    payload: payload, sinceRound: encoding == .maskUnchanged ? Int(descriptor.sinceRound) : nil,
                    maskDigest: encoding == .maskUnchanged ? descriptor.maskDigest : nil, tensor: index))
        }
        return tensors
    }

    /// The product of a declared shape, checked dimension by dimension against the element limit
    /// so that neither a dimension nor the product can overflow.
    private func elementCount(_ shape: [UInt64], tensor: Int, name: String) throws(WireError) -> UInt64 {
        let limit = UInt64(clamping: limits.maxElements)
        var product: UInt64 = 1
        for extent in shape {
            guard extent <= limit else {
                throw WireError(
                    .tooManyElements(tensor: tensor, name: name, elements: extent, limit: limits.maxElements))
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            guard !overflow, next <= limit else {
                throw WireError(
                    .tooManyElements(
                        tensor: tensor, name: name, elements: overflow ? .max : next, limit: limits.maxElements))
            }
            product = next
        }
        return product
    }

    /// A peer's name, shortened for error texts so that a huge name cannot bloat the answer.
    static func clipped(_ name: String) -> String {
        name.utf8.count <= 128 ? name : String(decoding: name.utf8.prefix(128), as: UTF8.self) + "..."
    }
}
