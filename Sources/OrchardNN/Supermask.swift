import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// How a supermask layer draws its frozen random weights.
public enum SupermaskWeights: String, Sendable, CaseIterable {
    /// Every weight ±sqrt(2 / fanIn) with a random sign: the signed Kaiming constant of Ramanujan
    /// et al. (2020), which HideNseek and FedPM also use.
    case signedConstant = "signed-constant"
    /// Kaiming-normal over the fan-in, N(0, 2 / fanIn).
    case kaimingNormal = "kaiming-normal"
}

/// How a supermask layer turns its scores into a mask.
public enum SupermaskSampling: Sendable, Equatable {
    /// The `density` fraction of largest scores of the layer (at least one), gradients passed
    /// straight through to every score (edge-popup, HideNseek).
    case topK(density: Double)
    /// Each position kept with probability sigmoid(score), drawn anew in every training forward
    /// pass from the layer's stream, gradients passed straight through the draw to the
    /// probability (FedPM); in evaluation a position is kept when its probability exceeds 1/2.
    case bernoulli
}

/// A linear or convolutional layer whose weight is frozen random values times a mask of trained scores.
///
/// This is the supermask of Zhou et al. (2019) and Ramanujan et al. (2020).
/// Its parameters are `scores` (trained, one per weight), `random_weight` (the frozen values) and
/// the wrapped layer's own `weight` and `bias`, which are frozen: `weight` holds the effective
/// weight random_weight x mask, written before every forward pass, and its gradient is the
/// gradient with respect to that effective weight. The backward pass sets the scores' gradient by
/// the straight-through estimator: d score = d effective weight x random weight (times
/// sigmoid'(score) with Bernoulli sampling), whether the position is kept or not.
public final class Supermask: Layer {
    /// The wrapped layer, which computes with the effective weight.
    public let layer: any PrunableLayer
    /// The trained scores, shaped as the weight.
    public let scores: Parameter
    /// The frozen random weights.
    public let randomWeight: Parameter
    /// How the mask is drawn from the scores.
    public let sampling: SupermaskSampling
    /// The stream Bernoulli masks are drawn from; its owner reseeds it per task.
    public var random: RandomStream
    public private(set) var flops = FLOPCount.zero

    /// Wraps `layer`, drawing its frozen weights and initial scores from `random`.
    ///
    /// The wrapped layer's weight and bias are frozen from now on; the bias keeps its values. Scores
    /// start uniform in (-1/sqrt(fanIn), 1/sqrt(fanIn)) with top-k sampling (edge-popup's
    /// initialisation), and at logit(`initialProbability`) with Bernoulli sampling.
    public init(
        wrapping layer: any PrunableLayer, weights: SupermaskWeights, sampling: SupermaskSampling,
        initialProbability: Double = 0.5, random: inout RandomStream
    ) {
        self.layer = layer
        self.sampling = sampling
        let weight = layer.weight
        scores = Parameter(shape: weight.shape, kind: .score)
        randomWeight = Parameter(shape: weight.shape, kind: .randomWeight)
        weight.isFrozen = true
        layer.visitParameters(prefix: "") { _, parameter in parameter.isFrozen = true }
        let fanIn = weight.matrixShape.columns
        Self.fill(randomWeight.value, weights, fanIn: fanIn, random: &random)
        switch sampling {
        case .topK:
            let bound = 1 / Float(max(fanIn, 1)).squareRoot()
            for index in 0..<scores.value.count { scores.value[index] = (2 * random.nextFloat() - 1) * bound }
        case .bernoulli:
            let probability = min(max(initialProbability, 1e-6), 1 - 1e-6)
            scores.value.fill(Float(log(probability / (1 - probability))))
        }
        self.random = random.derived("bernoulli")
        writeEffectiveWeight(mask(training: false))
    }

    /// Draws frozen weights of the given kind.
    static func fill(_ tensor: Tensor, _ weights: SupermaskWeights, fanIn: Int, random: inout RandomStream) {
        let scale = (2 / Double(max(fanIn, 1))).squareRoot()
        switch weights {
        case .signedConstant:
            for index in 0..<tensor.count { tensor[index] = Float(random.next() & 1 == 0 ? scale : -scale) }
        case .kaimingNormal:
            for index in 0..<tensor.count { tensor[index] = Float(random.nextNormal() * scale) }
        }
    }

    public var needsInputGradient: Bool {
        get { layer.needsInputGradient }
        set { layer.needsInputGradient = newValue }
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { layer.outputShape(for: inputShape) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        writeEffectiveWeight(mask(training: mode == .training))
        let output = layer.forward(input, mode: mode)
        // One multiply per weight for the effective weight; selecting or drawing the mask compares.
        flops = FLOPCount(forward: layer.flops.forward + scores.denseCount)
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        let inputGradient = layer.backward(outputGradient)
        let effective = layer.weight.gradient!
        let gradient = scores.gradient!
        let count = scores.denseCount
        for index in 0..<count { gradient[index] = effective[index] * randomWeight.value[index] }
        var extra = count
        if sampling == .bernoulli {
            for index in 0..<count {
                let probability = Self.sigmoid(scores.value[index])
                gradient[index] *= probability * (1 - probability)
            }
            extra += 4 * count
        }
        flops.backward = layer.flops.backward + extra
        return inputGradient
    }

    /// The mask of the current scores: 1 where kept, 0 elsewhere, as the weight's flat positions.
    ///
    /// With Bernoulli sampling and `training`, a draw from the layer's stream; otherwise
    /// deterministic (the top-k scores, or probabilities above 1/2).
    public func mask(training: Bool) -> [Bool] {
        let count = scores.denseCount
        switch sampling {
        case .topK(let density):
            return Self.topK(scores.value.data, count: count, density: density)
        case .bernoulli where training:
            return (0..<count).map { Double(random.nextFloat()) < Double(Self.sigmoid(scores.value[$0])) }
        case .bernoulli:
            return (0..<count).map { scores.value[$0] > 0 }
        }
    }

    /// The positions of the `density` fraction of largest values (at least one, at most all),
    /// ties going to the lower position.
    public static func topK(_ values: UnsafePointer<Float>, count: Int, density: Double) -> [Bool] {
        let kept = keptCount(count, density: density)
        let order = (0..<count).sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var mask = [Bool](repeating: false, count: count)
        for position in order.prefix(kept) { mask[position] = true }
        return mask
    }

    /// Positions a top-k mask of `count` keeps at `density`: rounded, at least one.
    public static func keptCount(_ count: Int, density: Double) -> Int {
        guard count > 0 else { return 0 }
        let scaled = (Double(count) * min(max(density, 0), 1)).rounded()
        return min(count, max(1, Int(scaled)))
    }

    static func sigmoid(_ value: Float) -> Float { 1 / (1 + expf(-value)) }

    /// Sets the wrapped layer's weight to random weight x mask.
    private func writeEffectiveWeight(_ mask: [Bool]) {
        let target = layer.weight.value
        for index in 0..<mask.count { target[index] = mask[index] ? randomWeight.value[index] : 0 }
    }

    /// The wrapped layer's tensors; the mask's selection and draw are Swift arrays, which the
    /// ledger does not count.
    public func trainingTensors(inputShape: [Int]) -> [Int] { layer.trainingTensors(inputShape: inputShape) }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(qualified(prefix, "scores"), scores)
        visit(qualified(prefix, "random_weight"), randomWeight)
        layer.visitParameters(prefix: prefix, visit)
    }
}
