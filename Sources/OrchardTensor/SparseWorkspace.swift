/// Buffers the sparse convolution kernels need only inside one call, shared by the kernels of a network.
///
/// A kernel keeps the phase planes of its input from `forward` to `backward`, but its wide output
/// (in `forward`), its phase-plane gradients and its wide dY (in `backward`) live only during one
/// call, a tile at a time in the scratch (`SparseConvolutionKernel.backwardTiled`); only the fused
/// pooled backward with dX forms the whole wide dY, in the second buffer. Layers run one at a time,
/// so one buffer of each, as large as the largest kernel needs, serves them all: a network of n
/// sparse convolutions holds two such buffers instead of 2n.
///
/// The whole wide dY must be zero outside the valid outputs of the kernel that reads it. The workspace
/// remembers the layout whose zeros it holds and tells a kernel with another layout to write them,
/// so that kernels of one shape (most of a ResNet stage) write only their valid outputs. It also stamps each claim, so that a kernel can tell whether the buffer still holds its
/// own dY (for `SparseConvolutionKernel.gradient(at:count:outputGradient:into:)`) or must refill it.
///
/// Buffers only grow, each released before its replacement is allocated, so a network's buffers
/// reach their final size in its first step and a steady step allocates nothing. Not thread-safe:
/// the kernels sharing one workspace must run on one thread, as the layers of one network do.
public final class SparseWorkspace {
    private var scratch: Tensor?
    private var gradient: Tensor?
    /// The layout whose zeros `gradient` holds outside its valid positions.
    private var gradientLayout: WideLayout?
    /// Incremented by every claim of `gradient`.
    private(set) var gradientStamp = 0

    /// Creates an empty workspace; buffers are allocated by the first kernel that needs them.
    public init() {}

    /// The scratch buffer of at least `count` values, contents undefined.
    func scratch(count: Int) -> UnsafeMutablePointer<Float> {
        Self.grown(&scratch, count: count).data
    }

    /// The wide-dY buffer of at least `layout.count` values, the stamp of this claim, and whether
    /// the buffer is already zero outside `layout`'s valid positions.
    ///
    /// When it is not, the claimer writes those zeros itself (`PhaseGeometry.zeroInvalid`), in the
    /// pass that fills the valid positions: clearing the whole buffer first wrote the valid
    /// positions twice, once per step and layer in LeNet-5, whose two convolutions alternate.
    func claimGradient(_ layout: WideLayout) -> (UnsafeMutablePointer<Float>, stamp: Int, holdsZeros: Bool) {
        let buffer = Self.grown(&gradient, count: layout.count)
        let holdsZeros = gradientLayout == layout
        gradientLayout = layout
        gradientStamp += 1
        return (buffer.data, gradientStamp, holdsZeros)
    }

    /// The wide-dY buffer as last claimed, if the claim with `stamp` was the last one.
    func gradient(ifStamp stamp: Int) -> UnsafePointer<Float>? {
        guard stamp == gradientStamp, let gradient else { return nil }
        return UnsafePointer(gradient.data)
    }

    /// `slot`, or a new zeroed buffer of `count` values if it holds fewer; the old one is released first.
    private static func grown(_ slot: inout Tensor?, count: Int) -> Tensor {
        if let existing = slot, existing.count >= count { return existing }
        // Released before the larger buffer is allocated, so the two never add up in the peak.
        slot = nil
        let buffer = Tensor(zeros: [count], role: .workspace)
        slot = buffer
        return buffer
    }
}

extension SparseWorkspace {
    /// The values a workspace's buffers grow to for some kernels: the largest need of each.
    public struct Need: Equatable, Sendable {
        /// Values of the scratch buffer.
        public var scratch: Int
        /// Values of the wide-dY buffer.
        public var gradient: Int

        /// A need of `scratch` and `gradient` values.
        public init(scratch: Int = 0, gradient: Int = 0) {
            self.scratch = scratch
            self.gradient = gradient
        }

        /// Buffers large enough for this need and `other`, one after the other.
        public func merged(_ other: Need) -> Need {
            Need(scratch: max(scratch, other.scratch), gradient: max(gradient, other.gradient))
        }

        /// Bytes of each buffer the workspace allocates for this need, as the ledger counts them.
        public var tensorBytes: [Int] {
            [scratch, gradient].filter { $0 > 0 }.map { $0 * MemoryLayout<Float>.stride }
        }
    }
}

/// Where a wide dY's valid values are.
///
/// The rows, their stride and margin, and the plane of valid outputs inside each sample's block:
/// two kernels of one layout write the same positions.
struct WideLayout: Equatable {
    let rows: Int
    let rowStride: Int
    let margin: Int
    let batch: Int
    let samplePlane: Int
    let planeWidth: Int
    let outputHeight: Int
    let outputWidth: Int

    /// The values the layout spans.
    var count: Int { rows * rowStride }
}
