import OrchardTensor

/// Batch normalisation over channel-major images [C, N, H, W] (2d) or feature rows [N, F] (1d).
///
/// Training mode normalises with the batch's mean and biased variance and updates the running
/// statistics as PyTorch does: running = (1 - momentum) * running + momentum * batch, with the
/// unbiased variance. Evaluation mode normalises with the running statistics.
public final class BatchNorm: Layer {
    public let features: Int
    public let momentum: Float
    public let epsilon: Float
    public let scale: Parameter
    public let shift: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero

    private var input: Tensor?
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var mean: [Float]
    private var inverseStd: [Float]
    /// The per-channel y = x * factor + offset of the last forward pass, from which a fused
    /// rectifier's mask is recomputed.
    private var factors: [Float]
    private var offsets: [Float]
    /// Whether the last forward pass rectified its output without a residual, so that backward
    /// masks its gradient.
    private var masksGradient = false
    /// Whether `forward(_:mode:)` rectifies its output, in place of a ReLU after it that a
    /// `Sequential` skips: one pass and one activation-sized tensor fewer each way.
    var rectifies = false

    /// Creates the layer with scale 1, shift 0, running mean 0 and running variance 1.
    public init(_ features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.features = features
        self.momentum = momentum
        self.epsilon = epsilon
        scale = Parameter(shape: [features], kind: .normScale)
        shift = Parameter(shape: [features], kind: .normShift)
        runningMean = Parameter(shape: [features], kind: .runningMean)
        runningVariance = Parameter(shape: [features], kind: .runningVariance)
        scale.value.fill(1)
        runningVariance.value.fill(1)
        mean = Array(repeating: 0, count: features)
        inverseStd = Array(repeating: 1, count: features)
        factors = Array(repeating: 1, count: features)
        offsets = Array(repeating: 0, count: features)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    /// Where channel c's elements lie: `rows` runs of `run` contiguous values.
    private struct Layout {
        let rows: Int
        let run: Int
        let channelStride: Int
        let rowStride: Int
        var count: Int { rows * run }
    }

    private func layout(_ shape: [Int]) -> Layout {
        precondition(shape.count == 2 || shape.count == 4, "BatchNorm got \(shape)")
        if shape.count == 4 {
            precondition(shape[0] == features, "BatchNorm(\(features)) got \(shape)")
            let run = shape[1] * shape[2] * shape[3]
            return Layout(rows: 1, run: run, channelStride: run, rowStride: 0)
        }
        precondition(shape[1] == features, "BatchNorm(\(features)) got \(shape)")
        return Layout(rows: shape[0], run: 1, channelStride: 1, rowStride: features)
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { forward(input, mode: mode, rectifying: rectifies) }

    /// The forward pass, followed in the same pass over memory by the addition of `residual` (when
    /// given) and the rectifier (when `rectifying`): y = max(bn(x) + residual, 0).
    ///
    /// Fusing saves the passes and the tensors of the separate layers (residual blocks use it).
    /// After `rectifying` without a residual, `backward` takes the gradient of the rectified output
    /// and masks it itself (recomputing the mask from the input); with a residual, the caller masks the sum's gradient, which the
    /// shortcut needs too.
    public func forward(_ input: Tensor, mode: Mode, rectifying: Bool, adding residual: Tensor? = nil) -> Tensor {
        let shape = layout(input.shape)
        precondition(residual == nil || (rectifying && residual!.shape == input.shape), "BatchNorm residual mismatch")
        let output = Tensor.reusing(self.output, shape: input.shape)
        self.output = output
        self.input = mode == .training ? input : nil
        masksGradient = rectifying && residual == nil
        for channel in 0..<features {
            let base = channel * shape.channelStride
            let (factor, offset) = normalisation(channel, input.data + base, shape, mode: mode)
            for row in 0..<shape.rows {
                let at = base + row * shape.rowStride
                let (x, y) = (input.data + at, output.data + at)
                if let residual {
                    Elementwise.scaleShiftAddRectified(
                        x, residual.data + at, y, factor: factor, offset: offset, count: shape.run)
                } else if rectifying {
                    Elementwise.scaleShiftRectified(x, y, factor: factor, offset: offset, count: shape.run)
                } else {
                    Elementwise.scaleShift(x, y, factor: factor, offset: offset, count: shape.run)
                }
            }
        }
        let fused = (rectifying ? 1 : 0) + (residual == nil ? 0 : 1)
        flops = FLOPCount(forward: ((mode == .training ? 5 : 2) + fused) * input.count)
        return output
    }

    /// The forward pass of an image batch [C, N, H, W], rectified, written into the phase planes of
    /// the sparse convolution after it (`Conv2d.inputPlanes(for:)`) instead of an output tensor.
    ///
    /// Backward is that of `forward(_:mode:rectifying:)` with `rectifying`: it needs the input only.
    public func forward(_ input: Tensor, mode: Mode, rectifyingInto planes: InputPlanes) {
        let shape = layout(input.shape)
        precondition(input.shape.count == 4 && planes.shape == input.shape, "BatchNorm planes \(planes.shape)")
        self.input = mode == .training ? input : nil
        // An output tensor from an earlier pass would stay allocated for nothing.
        output = nil
        masksGradient = true
        let (batch, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        for channel in 0..<features {
            let base = channel * shape.channelStride
            let (factor, offset) = normalisation(channel, input.data + base, shape, mode: mode)
            for sample in 0..<batch {
                let image = input.data + base + sample * height * width
                for row in 0..<height {
                    Elementwise.scaleShiftRectified(
                        image + row * width, planes.row(channel: channel, sample: sample, row: row), factor: factor,
                        offset: offset, count: width)
                }
            }
        }
        flops = FLOPCount(forward: ((mode == .training ? 5 : 2) + 1) * input.count)
    }

    /// The statistics of one channel (the batch's, updating the running ones, or the running ones)
    /// and the y = x * factor + offset they give, kept for backward.
    private func normalisation(_ channel: Int, _ values: UnsafePointer<Float>, _ shape: Layout, mode: Mode)
        -> (factor: Float, offset: Float)
    {
        if mode == .training {
            updateStatistics(channel, values, shape)
        } else {
            mean[channel] = runningMean.value[channel]
            inverseStd[channel] = 1 / (runningVariance.value[channel] + epsilon).squareRoot()
        }
        let factor = scale.value[channel] * inverseStd[channel]
        let offset = shift.value[channel] - mean[channel] * factor
        (factors[channel], offsets[channel]) = (factor, offset)
        return (factor, offset)
    }

    /// Mean and biased variance of one channel (one pass of sums shifted by its first value), and
    /// the running update.
    private func updateStatistics(_ channel: Int, _ values: UnsafePointer<Float>, _ shape: Layout) {
        let count = Double(shape.count)
        let reference = values[0]
        var sum = 0.0
        var squares = 0.0
        for row in 0..<shape.rows {
            let moments = Elementwise.blockedShiftedMoments(
                values + row * shape.rowStride, shift: reference, count: shape.run)
            sum += moments.sum
            squares += moments.squares
        }
        let shiftedMean = sum / count
        // Squared deviations from the mean: sum (x - r)^2 - n (mean - r)^2, never below zero.
        let deviations = max(0, squares - sum * shiftedMean)
        let variance = deviations / count
        let batchMean = Float(Double(reference) + shiftedMean)
        mean[channel] = batchMean
        inverseStd[channel] = Float(1 / (variance + Double(epsilon)).squareRoot())
        let unbiased = count > 1 ? deviations / (count - 1) : variance
        runningMean.value[channel] = (1 - momentum) * runningMean.value[channel] + momentum * batchMean
        runningVariance.value[channel] =
            (1 - momentum) * runningVariance.value[channel] + momentum * Float(unbiased)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? { backward(outputGradient, rectifier: nil) }

    /// The backward pass from the gradient of a ReLU after the layer, masked in the pass that sums it.
    ///
    /// In a residual block the ReLU follows the shortcut's addition: dy is masked where `output`
    /// (the ReLU's) is not positive, and the masked gradient, which the shortcut needs too, is
    /// written into `masked`. Bitwise `backward(_:)` of `Elementwise.reluBackward`'s result.
    public func backward(_ outputGradient: Tensor, rectifiedAt output: Tensor, masked: Tensor) -> Tensor? {
        precondition(!masksGradient && output.shape == outputGradient.shape && masked.shape == output.shape)
        return backward(outputGradient, rectifier: (output, masked))
    }

    private func backward(_ outputGradient: Tensor, rectifier: (output: Tensor, masked: Tensor)?) -> Tensor? {
        guard let input else { preconditionFailure("BatchNorm.backward without a training forward") }
        // With a rectifier, the sums read the incoming gradient and write the masked one, which
        // the rest reads.
        let originalGradient = outputGradient
        let outputGradient = rectifier?.masked ?? outputGradient
        let shape = layout(input.shape)
        let inputGradient = Tensor.reusing(self.inputGradient, shape: input.shape)
        self.inputGradient = inputGradient
        let count = Float(shape.count)
        for channel in 0..<features {
            let base = channel * shape.channelStride
            let channelMean = mean[channel]
            let invStd = inverseStd[channel]
            // dscale = sum(dy * xhat), dshift = sum(dy)
            var sumGradient = 0.0
            var sumWeighted = 0.0
            for row in 0..<shape.rows {
                let at = base + row * shape.rowStride
                let (x, dy) = (input.data + at, outputGradient.data + at)
                let sums =
                    if let rectifier {
                        Elementwise.blockedRectifiedGradientSums(
                            x, originalGradient.data + at, rectified: rectifier.output.data + at,
                            masked: rectifier.masked.data + at, mean: channelMean, count: shape.run)
                    } else if masksGradient {
                        Elementwise.blockedMaskedGradientSums(
                            x, dy, mean: channelMean, factor: factors[channel], offset: offsets[channel],
                            count: shape.run)
                    } else {
                        Elementwise.blockedGradientSums(x, dy, mean: channelMean, count: shape.run)
                    }
                sumGradient += sums.gradient
                sumWeighted += sums.weighted
            }
            let sumGradientNormalised = Float(sumWeighted) * invStd
            scale.gradient![channel] = sumGradientNormalised
            shift.gradient![channel] = Float(sumGradient)
            guard needsInputGradient else { continue }
            // dx = scale * invStd * (dy - mean(dy) - xhat * mean(dy * xhat))
            let factor = scale.value[channel] * invStd
            let meanGradient = Float(sumGradient) / count
            let slope = sumGradientNormalised / count * invStd
            for row in 0..<shape.rows {
                let at = base + row * shape.rowStride
                let (x, dy, dx) = (input.data + at, outputGradient.data + at, inputGradient.data + at)
                if masksGradient {
                    Elementwise.maskedNormalisationGradient(
                        x, dy, dx, mean: channelMean, forwardFactor: factors[channel], forwardOffset: offsets[channel],
                        factor: factor, meanGradient: meanGradient, slope: slope, count: shape.run)
                } else {
                    Elementwise.normalisationGradient(
                        x, dy, dx, mean: channelMean, factor: factor, meanGradient: meanGradient, slope: slope,
                        count: shape.run)
                }
            }
        }
        flops.backward = ((needsInputGradient ? 9 : 4) + (masksGradient ? 1 : 0)) * input.count
        return needsInputGradient ? inputGradient : nil
    }

    /// The output and dX, which backward allocates even when the input gradient is not asked for.
    public func trainingTensors(inputShape: [Int]) -> [Int] { [tensorBytes(inputShape), tensorBytes(inputShape)] }

    public func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        visit(qualified(prefix, "weight"), scale)
        visit(qualified(prefix, "bias"), shift)
        visit(qualified(prefix, "running_mean"), runningMean)
        visit(qualified(prefix, "running_var"), runningVariance)
    }
}
