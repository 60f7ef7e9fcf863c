import OrchardTensor

/// A square pooling window without padding, and the output shape it gives.
struct PoolingWindow {
    let kernelSize: Int
    let stride: Int

    func outputShape(for inputShape: [Int]) -> [Int] {
        [
            inputShape[0], inputShape[1],
            ConvolutionGeometry.windows(inputShape[2], kernel: kernelSize, stride: stride),
            ConvolutionGeometry.windows(inputShape[3], kernel: kernelSize, stride: stride),
        ]
    }
}

/// Max pooling over channel-major images with a square window and no padding.
public final class MaxPool2d: Layer {
    let window: PoolingWindow
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var inputShape: [Int] = []
    /// For each output element, the flat index within its input plane of the maximum.
    ///
    /// Where a rectifying pool passes no gradient the index is stored complemented (negative), and
    /// backward adds a zero there without a branch: that position's value is not positive, so a
    /// ReLU would have passed it no gradient either.
    private var winners: [Int32] = []
    /// Whether the output is max(0, maximum), as a ReLU before the pool would make it.
    ///
    /// `Sequential` sets it for a pool that follows a ReLU and then skips the ReLU: the maximum of
    /// rectified values is the rectified maximum, and a window whose maximum is not positive passes
    /// no gradient either way, so the results are bitwise those of the two layers, without the
    /// ReLU's full-size output and gradient. After a ReLU that does run it changes nothing.
    var rectifying = false

    public init(kernelSize: Int, stride: Int? = nil) {
        window = PoolingWindow(kernelSize: kernelSize, stride: stride ?? kernelSize)
    }

    public var kernelSize: Int { window.kernelSize }
    public var stride: Int { window.stride }
    public func outputShape(for inputShape: [Int]) -> [Int] { window.outputShape(for: inputShape) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let shape = outputShape(for: input.shape)
        let output = Tensor.reusing(self.output, shape: shape)
        self.output = output
        inputShape = input.shape
        if winners.count != output.count { winners = Array(repeating: 0, count: output.count) }
        let (height, width) = (input.shape[2], input.shape[3])
        let (outputHeight, outputWidth) = (shape[2], shape[3])
        let planes = shape[0] * shape[1]
        if kernelSize == 2 && stride == 2 {
            winners.withUnsafeMutableBufferPointer { winners in
                Self.pool2x2(input.data, height, width, planes, output.data, winners.baseAddress!, rectifying)
            }
            flops = FLOPCount(forward: output.count * 4)
            return output
        }
        winners.withUnsafeMutableBufferPointer { winners in
            for plane in 0..<planes {
                let source = input.data + plane * height * width
                let target = output.data + plane * outputHeight * outputWidth
                let chosen = winners.baseAddress! + plane * outputHeight * outputWidth
                for outputRow in 0..<outputHeight {
                    for outputColumn in 0..<outputWidth {
                        var best = -Float.infinity
                        var bestIndex = 0
                        for kernelRow in 0..<kernelSize {
                            let rowStart = (outputRow * stride + kernelRow) * width + outputColumn * stride
                            for kernelColumn in 0..<kernelSize where source[rowStart + kernelColumn] > best {
                                best = source[rowStart + kernelColumn]
                                bestIndex = rowStart + kernelColumn
                            }
                        }
                        let kept = !rectifying || !(best <= 0)
                        target[outputRow * outputWidth + outputColumn] = kept ? best : 0
                        chosen[outputRow * outputWidth + outputColumn] = kept ? Int32(bestIndex) : ~Int32(bestIndex)
                    }
                }
            }
        }
        flops = FLOPCount(forward: output.count * kernelSize * kernelSize)
        return output
    }

    /// The common 2x2 window with stride 2, with the window's four reads unrolled.
    ///
    /// Each comparison is a select rather than a branch: on activations the winner of a window is
    /// random, and the branches were mispredicted about half the time.
    private static func pool2x2(
        _ source: UnsafePointer<Float>, _ height: Int, _ width: Int, _ planes: Int,
        _ target: UnsafeMutablePointer<Float>, _ winners: UnsafeMutablePointer<Int32>, _ rectifying: Bool
    ) {
        let (outputHeight, outputWidth) = (height / 2, width / 2)
        // All ones keeps every window; a rectifying pool keeps those whose maximum is positive.
        // Masks rather than branches or a short-circuit `||`, which made this loop 3.5x slower.
        let keepAll: Int32 = rectifying ? 0 : -1
        var output = 0
        for plane in 0..<planes {
            let base = source + plane &* height &* width
            for outputRow in 0..<outputHeight {
                let top = 2 &* outputRow &* width
                for outputColumn in 0..<outputWidth {
                    let left = top &+ 2 &* outputColumn
                    let below = left &+ width
                    let (a, b, c, d) = (base[left], base[left &+ 1], base[below], base[below &+ 1])
                    // The first of equal values wins, as in the scan order a, b, c, d.
                    let upper = b > a ? b : a
                    let upperIndex = b > a ? left &+ 1 : left
                    let lower = d > c ? d : c
                    let lowerIndex = d > c ? below &+ 1 : below
                    let best = lower > upper ? lower : upper
                    // `<=` rather than `>`: a NaN maximum is kept, as a ReLU would pass it on.
                    let kept = keepAll | (best <= 0 ? 0 : -1)
                    let winner = Int32(truncatingIfNeeded: lower > upper ? lowerIndex : upperIndex)
                    target[output] = Float(bitPattern: best.bitPattern & UInt32(bitPattern: kept))
                    winners[output] = winner ^ ~kept
                    output &+= 1
                }
            }
        }
    }

    /// The output, and dX when needed; the winners' indices are an array the ledger does not count.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        [tensorBytes(outputShape(for: inputShape))] + (needsInputGradient ? [tensorBytes(inputShape)] : [])
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
        self.inputGradient = inputGradient
        inputGradient.zero()
        let inputPlane = inputShape[2] * inputShape[3]
        let outputPlane = outputGradient.count / (inputShape[0] * inputShape[1])
        winners.withUnsafeBufferPointer { winners in
            for plane in 0..<(inputShape[0] * inputShape[1]) {
                let target = inputGradient.data + plane * inputPlane
                let source = outputGradient.data + plane * outputPlane
                for index in 0..<outputPlane {
                    let winner = winners[plane * outputPlane + index]
                    let passed = ~(winner >> 31)  // all ones unless the window passes no gradient
                    target[Int(winner ^ ~passed)] += Float(
                        bitPattern: source[index].bitPattern & UInt32(bitPattern: passed))
                }
            }
        }
        flops.backward = outputGradient.count
        return inputGradient
    }
}

/// Average pooling over channel-major images with a square window and no padding.
public final class AvgPool2d: Layer {
    let window: PoolingWindow
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var inputShape: [Int] = []

    public init(kernelSize: Int, stride: Int? = nil) {
        window = PoolingWindow(kernelSize: kernelSize, stride: stride ?? kernelSize)
    }

    public var kernelSize: Int { window.kernelSize }
    public var stride: Int { window.stride }
    public func outputShape(for inputShape: [Int]) -> [Int] { window.outputShape(for: inputShape) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let shape = outputShape(for: input.shape)
        let output = Tensor.reusing(self.output, shape: shape)
        self.output = output
        inputShape = input.shape
        let (height, width) = (input.shape[2], input.shape[3])
        let (outputHeight, outputWidth) = (shape[2], shape[3])
        let reciprocal = 1 / Float(kernelSize * kernelSize)
        for plane in 0..<(shape[0] * shape[1]) {
            let source = input.data + plane * height * width
            let target = output.data + plane * outputHeight * outputWidth
            for outputRow in 0..<outputHeight {
                for outputColumn in 0..<outputWidth {
                    var sum: Float = 0
                    for kernelRow in 0..<kernelSize {
                        let rowStart = (outputRow * stride + kernelRow) * width + outputColumn * stride
                        for kernelColumn in 0..<kernelSize { sum += source[rowStart + kernelColumn] }
                    }
                    target[outputRow * outputWidth + outputColumn] = sum * reciprocal
                }
            }
        }
        flops = FLOPCount(forward: output.count * kernelSize * kernelSize)
        return output
    }

    /// The output, and dX when needed.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        [tensorBytes(outputShape(for: inputShape))] + (needsInputGradient ? [tensorBytes(inputShape)] : [])
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
        self.inputGradient = inputGradient
        inputGradient.zero()
        let (height, width) = (inputShape[2], inputShape[3])
        let shape = outputShape(for: inputShape)
        let (outputHeight, outputWidth) = (shape[2], shape[3])
        let reciprocal = 1 / Float(kernelSize * kernelSize)
        for plane in 0..<(shape[0] * shape[1]) {
            let target = inputGradient.data + plane * height * width
            let source = outputGradient.data + plane * outputHeight * outputWidth
            for outputRow in 0..<outputHeight {
                for outputColumn in 0..<outputWidth {
                    let share = source[outputRow * outputWidth + outputColumn] * reciprocal
                    for kernelRow in 0..<kernelSize {
                        let rowStart = (outputRow * stride + kernelRow) * width + outputColumn * stride
                        for kernelColumn in 0..<kernelSize { target[rowStart + kernelColumn] += share }
                    }
                }
            }
        }
        flops.backward = inputGradient.count
        return inputGradient
    }

}

/// Global average pooling: the mean of each channel's plane, [C, N, H, W] to [C, N, 1, 1].
public final class GlobalAvgPool: Layer {
    public var needsInputGradient = true
    public private(set) var flops = FLOPCount.zero
    private var output: Tensor?
    private var inputGradient: Tensor?
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], inputShape[1], 1, 1] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let output = Tensor.reusing(self.output, shape: outputShape(for: input.shape))
        self.output = output
        inputShape = input.shape
        let area = input.shape[2] * input.shape[3]
        let reciprocal = 1 / Float(area)
        for plane in 0..<output.count {
            let source = input.data + plane * area
            var sum: Float = 0
            for index in 0..<area { sum += source[index] }
            output[plane] = sum * reciprocal
        }
        flops = FLOPCount(forward: input.count)
        return output
    }

    /// The output, and dX when needed.
    public func trainingTensors(inputShape: [Int]) -> [Int] {
        [tensorBytes(outputShape(for: inputShape))] + (needsInputGradient ? [tensorBytes(inputShape)] : [])
    }

    public func backward(_ outputGradient: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let inputGradient = Tensor.reusing(self.inputGradient, shape: inputShape)
        self.inputGradient = inputGradient
        let area = inputShape[2] * inputShape[3]
        let reciprocal = 1 / Float(area)
        for plane in 0..<outputGradient.count {
            (inputGradient.data + plane * area).update(repeating: outputGradient[plane] * reciprocal, count: area)
        }
        flops.backward = inputGradient.count
        return inputGradient
    }
}
