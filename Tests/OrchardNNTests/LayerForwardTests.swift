import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Forward passes against direct definitions")
struct LayerForwardTests {
    /// y[o, n, i, j] = b[o] + sum over c, u, v of w[o, c, u, v] * x[c, n, i*s - p + u, j*s - p + v].
    func directConvolution(_ layer: Conv2d, _ x: Tensor) -> [Float] {
        let (channels, batch, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let shape = layer.outputShape(for: x.shape)
        let k = layer.kernelSize
        var y = [Float](repeating: 0, count: shape.reduce(1, *))
        for o in 0..<shape[0] {
            for n in 0..<batch {
                for i in 0..<shape[2] {
                    for j in 0..<shape[3] {
                        var sum = Double(layer.bias?.value[o] ?? 0)
                        for c in 0..<channels {
                            for u in 0..<k {
                                for v in 0..<k {
                                    let row = i * layer.stride - layer.padding + u
                                    let column = j * layer.stride - layer.padding + v
                                    guard row >= 0, row < height, column >= 0, column < width else { continue }
                                    let weight = layer.weight.value[((o * channels + c) * k + u) * k + v]
                                    sum += Double(weight) * Double(x[((c * batch + n) * height + row) * width + column])
                                }
                            }
                        }
                        y[((o * batch + n) * shape[2] + i) * shape[3] + j] = Float(sum)
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 1, 0), (1, 2, 0), (5, 1, 2), (3, 3, 0), (4, 2, 1), (5, 1, 0)])
    func convolutionMatchesDirectSum(shape: (kernel: Int, stride: Int, padding: Int)) {
        var random = RandomStream(seed: 21)
        let layer = Conv2d(
            3, 4, kernelSize: shape.kernel, stride: shape.stride, padding: shape.padding, random: &random)
        for budget in [1, 1 << 20] {
            layer.planOptions.columnBudgetBytes = budget
            layer.planOptions.minimumGroupPositions = 0
            let x = randomTensor([3, 3, 8, 30], seed: 22)  // wide enough for the wide-row path
            let y = layer.forward(x, mode: .training)
            let expected = directConvolution(layer, x)
            #expect(y.count == expected.count)
            for index in 0..<y.count {
                #expect(abs(y[index] - expected[index]) <= 1e-4 * max(1, abs(expected[index])), "y[\(index)]")
            }
        }
    }

    @Test func maxAndAveragePoolingOfAKnownPlane() {
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 5, 2, 0, -3, 4, 8, 7])
        #expect(MaxPool2d(kernelSize: 2).forward(x, mode: .training).values == [5, 8])
        #expect(AvgPool2d(kernelSize: 2).forward(x, mode: .training).values == [1.75, 4.25])
        #expect(GlobalAvgPool().forward(x, mode: .training).values == [3])
    }

    @Test func flattenOrdersLikePyTorch() {
        // Channel-major [C=2, N=2, 1, 2]: sample n's row is (c0 values, c1 values).
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Flatten().forward(x, mode: .training).values == [1, 2, 5, 6, 3, 4, 7, 8])
        let images = Tensor(shape: [2, 2, 1, 2], values: [1, 2, 5, 6, 3, 4, 7, 8])
        #expect(ChannelMajor().forward(images, mode: .training).values == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func batchNormRunningStatisticsAndEvaluation() {
        let layer = BatchNorm(1, momentum: 0.1)
        let x = Tensor(shape: [4, 1], values: [1, 2, 3, 6])
        let y = layer.forward(x, mode: .training)
        // Mean 3, biased variance 3.5, unbiased 14/3.
        #expect(abs(layer.runningMean.value[0] - 0.3) < 1e-6)
        #expect(abs(layer.runningVariance.value[0] - (0.9 + 0.1 * 14 / 3)) < 1e-6)
        #expect(abs(y[3] - 3 / Float(3.5 + 1e-5).squareRoot()) < 1e-5)
        let evaluated = layer.forward(x, mode: .evaluation)
        let expected = (6 - 0.3) / (layer.runningVariance.value[0] + 1e-5).squareRoot()
        #expect(abs(evaluated[3] - expected) < 1e-5)
    }

    @Test func reluAndLinearOfKnownValues() {
        var random = RandomStream(seed: 1)
        let layer = Linear(2, 1, random: &random)
        layer.weight.value.assign(from: Tensor(shape: [1, 2], values: [2, -1]))
        layer.bias!.value[0] = 0.5
        let y = layer.forward(Tensor(shape: [2, 2], values: [1, 1, 0, 3]), mode: .training)
        #expect(y.values == [1.5, -2.5])
        #expect(ReLU().forward(y, mode: .training).values == [1.5, 0])
    }

    /// Both orientations of the dense product: 300x784 computes W X^T and transposes it.
    @Test(arguments: [(20, 7, 5), (784, 300, 3), (512, 256, 2)])
    func linearMatchesDirectSum(shape: (inputs: Int, outputs: Int, batch: Int)) {
        var random = RandomStream(seed: 5)
        let layer = Linear(shape.inputs, shape.outputs, random: &random)
        #expect(Linear.computesTransposed(inputs: shape.inputs, outputs: shape.outputs) == (shape.inputs >= 512))
        let x = Tensor(zeros: [shape.batch, shape.inputs])
        for i in 0..<x.count { x[i] = random.nextFloat() * 2 - 1 }
        let y = layer.forward(x, mode: .training)
        for n in 0..<shape.batch {
            for o in 0..<shape.outputs {
                var sum = Double(layer.bias!.value[o])
                for i in 0..<shape.inputs {
                    sum += Double(layer.weight.value[o * shape.inputs + i]) * Double(x[n * shape.inputs + i])
                }
                // Float32 sums of 784 products of magnitude below 0.04 each: 1e-4 absolute is generous.
                #expect(abs(Double(y[n * shape.outputs + o]) - sum) < 1e-4)
            }
        }
    }
}

@Suite("Wide rows")
struct WideRowTests {
    @Test func wideRowsAreUsedWhereFewPositionsAreThrownAway() {
        var random = RandomStream(seed: 1)
        let layer = Conv2d(3, 4, kernelSize: 3, padding: 1, random: &random)
        #expect(layer.path(for: [3, 1, 32, 32]) == .wide)
        #expect(layer.path(for: [3, 1, 8, 8]) == .wide)
        #expect(layer.path(for: [3, 1, 4, 4]) != .wide)
        let lenet = Conv2d(6, 16, kernelSize: 5, random: &random)
        #expect(lenet.path(for: [6, 1, 14, 14]) != .wide)
        let stem = Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, random: &random)
        #expect(stem.path(for: [3, 1, 32, 32]) != .wide)
        let strided = Conv2d(16, 32, kernelSize: 3, stride: 2, padding: 1, random: &random)
        #expect(strided.path(for: [16, 1, 32, 32]) == .wide)
        #expect(strided.path(for: [16, 1, 16, 16]) == .wide)
        #expect(strided.path(for: [16, 1, 8, 8]) != .wide)  // 4 wide: GEMMs of 20 positions
        let shortcut = Conv2d(16, 32, kernelSize: 1, stride: 2, random: &random)
        #expect(shortcut.path(for: [16, 1, 32, 32]) != .wide)
    }

    /// Stride 2 over phase planes against the direct sum: odd and even planes (phases of unequal
    /// sizes), with and without padding, one and several samples.
    @Test(arguments: [([8, 2, 9, 30], 1), ([8, 3, 16, 16], 1), ([9, 2, 8, 31], 0), ([8, 1, 5, 16], 1)])
    func stridedPhasePlanesMatchDirectSum(shape: [Int], padding: Int) {
        var random = RandomStream(seed: 23)
        let layer = Conv2d(shape[0], 5, kernelSize: 3, stride: 2, padding: padding, random: &random)
        let x = randomTensor(shape, seed: 24)
        #expect(layer.path(for: x.shape) == .wide)
        let y = layer.forward(x, mode: .training)
        let expected = LayerForwardTests().directConvolution(layer, x)
        #expect(y.count == expected.count)
        for index in 0..<y.count {
            #expect(abs(y[index] - expected[index]) <= 1e-4 * max(1, abs(expected[index])), "y[\(index)]")
        }
    }
}
