import OrchardTensor

/// Whether a forward pass trains (batch statistics, caches for backward) or evaluates.
public enum Mode: Sendable {
    case training
    case evaluation
}

/// What a parameter tensor is, so that pruning and aggregation can tell weights from statistics.
public enum ParameterKind: String, Sendable {
    case weight
    case bias
    case normScale
    case normShift
    case runningMean
    case runningVariance
    /// A supermask's trained scores, one per weight (see `Supermask`).
    case score
    /// A supermask's frozen random weights (see `Supermask`).
    case randomWeight

    /// Whether it has a gradient: running statistics are updated by the forward pass instead, and
    /// a supermask's random weights never change.
    public var isTrainable: Bool { self != .runningMean && self != .runningVariance && self != .randomWeight }
}

/// A stage of a network with an explicit forward and backward pass.
///
/// A layer owns the tensors it returns and reuses them while the batch shape stays the same, so a
/// returned tensor is valid until the layer's next call. `backward` must follow the `forward` of
/// the same batch in training mode; it writes the parameters' gradients (overwriting, not adding)
/// and returns the gradient with respect to the input, or `nil` when `needsInputGradient` is false
/// (the first layer of a network, whose input is data).
public protocol Layer: AnyObject {
    /// Computes the output for a batch.
    func forward(_ input: Tensor, mode: Mode) -> Tensor
    /// Propagates the gradient of the loss with respect to the last output.
    func backward(_ outputGradient: Tensor) -> Tensor?
    /// Whether `backward` computes the input gradient.
    var needsInputGradient: Bool { get set }
    /// The output shape for an input shape, without running anything.
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Calls `visit` with each parameter and its dotted name, in a stable order.
    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void)
    /// Floating-point operations of the most recent forward and backward pass.
    var flops: FLOPCount { get }
    /// Calls `visit` with each innermost layer, its dotted name and the input shape it gets when
    /// this layer gets `inputShape`, in a stable order.
    func visitLayers(prefix: String, inputShape: [Int], _ visit: (String, any Layer, [Int]) -> Void)
    /// The bytes of each tensor and index array this layer holds after a training forward and
    /// backward pass on `inputShape`, as the `MemoryLedger` counts them, without allocating anything.
    ///
    /// Layers keep their outputs, input gradients, caches and scratch between steps, so this is
    /// what training at this batch size adds for good: activations, input gradients (only when
    /// `needsInputGradient`), kernel workspaces, in the storage the weight has now, plus any peak
    /// inside a pass that is freed before it returns (no layer has one now). The input itself
    /// belongs to the layer before, and parameters and their gradients to `Network.predictedFootprint`.
    /// Each allocation is listed on its own because a change of batch size briefly holds one of
    /// them at both sizes.
    func trainingTensors(inputShape: [Int]) -> [Int]
}

extension Layer {
    /// The sum of `trainingTensors(inputShape:)`: what training at this input adds for good.
    public func trainingBytes(inputShape: [Int]) -> Int { trainingTensors(inputShape: inputShape).reduce(0, +) }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {}

    public func visitLayers(prefix: String, inputShape: [Int], _ visit: (String, any Layer, [Int]) -> Void) {
        visit(prefix, self, inputShape)
    }
}

/// Floating-point operations, counting a multiply-add as two and an elementwise operation as one.
public struct FLOPCount: Sendable, Equatable, AdditiveArithmetic {
    public var forward: Int
    public var backward: Int

    public init(forward: Int = 0, backward: Int = 0) {
        self.forward = forward
        self.backward = backward
    }

    public static var zero: FLOPCount { FLOPCount() }
    public var total: Int { forward + backward }

    public static func + (lhs: FLOPCount, rhs: FLOPCount) -> FLOPCount {
        FLOPCount(forward: lhs.forward + rhs.forward, backward: lhs.backward + rhs.backward)
    }

    public static func - (lhs: FLOPCount, rhs: FLOPCount) -> FLOPCount {
        FLOPCount(forward: lhs.forward - rhs.forward, backward: lhs.backward - rhs.backward)
    }
}

/// Bytes of a Float32 tensor of `shape`.
func tensorBytes(_ shape: [Int]) -> Int { shape.reduce(1, *) * MemoryLayout<Float>.stride }

/// Joins a name prefix and a local name with a dot.
func qualified(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
