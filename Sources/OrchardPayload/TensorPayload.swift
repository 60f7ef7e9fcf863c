import OrchardTensor

/// What travels for one tensor: every value, the kept positions and their values, a mask, or a
/// note that a mask the receiver holds still holds.
///
/// A method says what travels; how it is encoded (the cheapest of the frame encodings of
/// `docs/protocol.md` section 2, at the run's `ValuePrecision`) is the runtime's choice. A task or
/// result can mix dense weights, sparse updates and masks, one payload per named tensor.
///
/// Positions are flat row-major indices into the dense shape, strictly ascending, each below the
/// shape's element count (at most 2^31 elements for the sparse and mask cases).
public enum TensorPayload: Sendable {
    /// Every element.
    case dense(Tensor)
    /// The kept positions of a tensor of dense shape `shape` and their values, in the same order;
    /// the positions not listed are pruned. Decoding gives `.dense` when every position is kept,
    /// since the dense encoding is then the cheapest.
    case sparse(shape: [Int], indices: [Int32], values: [Float])
    /// The kept positions alone, such as a pruning mask.
    case mask(shape: [Int], indices: [Int32])
    /// The mask the receiver already holds from round `sinceRound` still holds; nothing is sent
    /// but the shape, the round and the mask's `MaskDigest` (0: not stated), and the receiver
    /// resolves it against its own copy.
    case maskUnchanged(shape: [Int], sinceRound: Int, digest: UInt64 = 0)

    /// The dense shape.
    public var shape: [Int] {
        switch self {
        case .dense(let tensor): tensor.shape
        case .sparse(let shape, _, _), .mask(let shape, _), .maskUnchanged(let shape, _, _): shape
        }
    }
}

extension TensorPayload: Equatable {
    /// Payloads are equal when their cases, shapes, positions and value bit patterns are, so that
    /// a NaN equals itself and -0 differs from +0, as they travel.
    public static func == (lhs: TensorPayload, rhs: TensorPayload) -> Bool {
        switch (lhs, rhs) {
        case (.dense(let left), .dense(let right)):
            return left.shape == right.shape && left.values.map(\.bitPattern) == right.values.map(\.bitPattern)
        case (.sparse(let leftShape, let leftIndices, let leftValues), .sparse(let shape, let indices, let values)):
            return leftShape == shape && leftIndices == indices
                && leftValues.map(\.bitPattern) == values.map(\.bitPattern)
        case (.mask(let leftShape, let leftIndices), .mask(let shape, let indices)):
            return leftShape == shape && leftIndices == indices
        case (
            .maskUnchanged(let leftShape, let leftRound, let leftDigest),
            .maskUnchanged(let shape, let round, let digest)
        ):
            return leftShape == shape && leftRound == round && leftDigest == digest
        default:
            return false
        }
    }
}
