import OrchardFederation
import OrchardNN
import OrchardWire

/// Decoding limits derived from a run's model: the largest legitimate message, with margin.
///
/// Every tensor of the protocol (weights, values under a mask, gradients, top-K lists, masks,
/// batch-norm statistics) has one of the model's parameter shapes, so the largest parameter bounds
/// a tensor frame. The largest messages are an adjustment result (the state and a dense gradient
/// of every tensor: about 8.25 bytes a parameter) and FedTiny's selection task (the dense state and
/// each candidate's mask: 4 bytes and 1 bit a parameter per candidate). A message may take twice
/// the larger of the two plus a full envelope, which leaves room and still refuses a peer that
/// sends hundreds of megabytes to a LeNet-5 run before anything of it is allocated.
public enum RunLimits {
    /// The limits for a run of `network` whose method may send `candidates` masks a task.
    public static func decoding(for network: Network, candidates: Int = 0) -> DecodingLimits {
        let shapes = network.parameters.map(\.parameter.shape)
        let counts = shapes.map { $0.reduce(1, *) }
        let largest = max(1, counts.max() ?? 1)
        let total = max(1, counts.reduce(0, +))
        let candidates = min(max(0, candidates), 1024)
        let envelope = DecodingLimits.standard.maxEnvelopeBytes
        let bytesPerParameter = 8.25 + Double(candidates) / 8
        return DecodingLimits(
            maxFrames: 1 + shapes.count * (3 + candidates),
            maxEnvelopeBytes: envelope,
            maxTensorBytes: 4 * largest + largest / 8 + 4096,
            maxTotalBytes: envelope + Int(2 * bytesPerParameter * Double(total)),
            maxRank: max(1, shapes.map(\.count).max() ?? 1),
            maxElements: largest)
    }

    /// The limits for a run set up by `setup` (FedTiny's `candidates` setting counted).
    public static func decoding(for setup: MethodSetup) throws -> DecodingLimits {
        var candidates = 0
        if case .integer(let count) = setup.settings["candidates"] { candidates = max(count, 0) }
        return decoding(for: try setup.makeNetwork(), candidates: candidates)
    }
}
