/// Winograd F(2x2, 3x3): a stride-1 3x3 correlation with padding 1 in 16 products per 2x2 output
/// tile instead of 36 (2.25x fewer multiplications).
///
/// Each 4x4 input tile d becomes V = B^T d B and each 3x3 kernel g becomes U = G g G^T; the tile's
/// outputs are A^T (sum over input channels of U ⊙ V) A. The sum over channels at one of the 16
/// transform points ξ is a matrix product, so a block of tiles runs as 16 GEMMs
/// M_ξ[out, tiles] = U_ξ[out, in] V_ξ[in, tiles]. Blocks hold whole samples and are sized so that
/// V and M stay in the core's L2 cache between the transforms and the products; the transforms
/// run eight tiles of one tile row at once (see `Winograd+Tiles.swift`), reading the input
/// and writing the output in place, so no pass of their own touches memory.
///
/// The input gradient of the same convolution is again such a correlation, of the output
/// gradient with the kernels flipped and their channels swapped (`transformWeights(flipped:)`).
public enum Winograd {
    /// The sizes of one Winograd convolution of [C, N, H, W] activations.
    public struct Plan: Sendable, Equatable {
        public let inputs: Int
        public let outputs: Int
        public let batch: Int
        public let height: Int
        public let width: Int
        /// Samples per block of tiles.
        public let samplesPerBlock: Int

        /// A plan for `inputs` to `outputs` channels on even `height` x `width` planes; blocks of
        /// samples whose transformed tiles of `channels` (the larger side) take about `budgetBytes`.
        public init(inputs: Int, outputs: Int, batch: Int, height: Int, width: Int, budgetBytes: Int) {
            precondition(height % 2 == 0 && width % 2 == 0, "Winograd F(2x2, 3x3) needs even planes")
            (self.inputs, self.outputs, self.batch, self.height, self.width) = (inputs, outputs, batch, height, width)
            let perSample = 16 * max(inputs, outputs) * (height / 2) * (width / 2) * MemoryLayout<Float>.stride
            // Not capped at the batch: a smaller last batch then reuses the same scratch instead of
            // allocating new scratch while the old is live.
            samplesPerBlock = max(1, budgetBytes / max(perSample, 1))
        }

        public var tilesAcross: Int { width / 2 }
        public var tilesDown: Int { height / 2 }
        public var tilesPerSample: Int { tilesAcross * tilesDown }
        public var paddedWidth: Int { width + 2 }
        /// Values of a block's transformed tiles or products for the larger channel count, with
        /// the slack that the last partial run of eight tiles reads past.
        public var blockCount: Int { splitOffset + (height + 2) * 2 * splitWidth }
        /// Where the tiles' scratch keeps the padded plane being transformed, split into even and odd columns.
        var splitOffset: Int { 16 * pointStride(max(inputs, outputs), samples: samplesPerBlock) + lanes }
        /// Values per half row of the split plane, with room for the last run's reads past the row.
        var splitWidth: Int { paddedWidth / 2 + lanes }

        /// Values from one transform point's matrix to the next for `channels` rows of the tiles
        /// of `samples` samples.
        ///
        /// One cache line more than the matrix: ResNet-20's blocks are 4,096 values (16 KiB) per
        /// point, and the transforms' 16 streams that far apart would all share an L1 set.
        public func pointStride(_ channels: Int, samples: Int) -> Int { channels * samples * tilesPerSample + 16 }
        /// Values of the transformed weights, [16, outputs, inputs].
        public var weightCount: Int { 16 * inputs * outputs }
    }

    /// Tiles transformed at once: one SIMD8 lane each.
    static let lanes = 8

    /// Writes U = G g G^T for every kernel of `weight` [out, in, 3, 3] as [16, out, in]; when
    /// `flipped`, the kernels of the input gradient, [16, in, out], of g rotated by 180 degrees.
    public static func transformWeights(
        _ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, flipped: Bool,
        into weights: UnsafeMutablePointer<Float>
    ) {
        let point = outputs * inputs
        for output in 0..<outputs {
            for input in 0..<inputs {
                let g = weight + (output * inputs + input) * 9
                @inline(__always) func row(_ index: Int) -> SIMD4<Float> {
                    flipped
                        ? SIMD4(g[8 - 3 * index], g[7 - 3 * index], g[6 - 3 * index], 0)
                        : SIMD4(g[3 * index], g[3 * index + 1], g[3 * index + 2], 0)
                }
                let target = weights + (flipped ? input * outputs + output : output * inputs + input)
                // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1] down the columns (three at once)...
                let (a, b, c) = (row(0), row(1), row(2))
                // ...then along each of the four rows of G g.
                @inline(__always) func store(_ x: SIMD4<Float>, row: Int) {
                    target[4 * row * point] = x[0]
                    target[(4 * row + 1) * point] = 0.5 * (x[0] + x[1] + x[2])
                    target[(4 * row + 2) * point] = 0.5 * (x[0] - x[1] + x[2])
                    target[(4 * row + 3) * point] = x[2]
                }
                store(a, row: 0)
                store(0.5 * (a + b + c), row: 1)
                store(0.5 * (a - b + c), row: 2)
                store(c, row: 3)
            }
        }
    }

    /// The convolution of `source` [inputs, N, H, W], zero-padded by one, into [outputs, N, H, W],
    /// plus `bias` when given.
    ///
    /// - Parameters:
    ///   - weights: `transformWeights` of the kernels, [16, outputs, inputs].
    ///   - tiles, products: scratch of `plan.blockCount` values each.
    public static func convolve(
        _ source: UnsafePointer<Float>, plan: Plan, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        tiles: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>,
        into output: UnsafeMutablePointer<Float>
    ) {
        forEachBlock(plan) { first, count, run, inputStride, outputStride in
            transformInputs(source, plan: plan, first: first, count: count, into: tiles)
            for xi in 0..<16 {
                // M_ξ[out, run] = U_ξ[out, in] V_ξ[in, run]
                BLAS.gemm(
                    transposeA: false, transposeB: false, m: plan.outputs, n: run, k: plan.inputs,
                    a: weights + xi * plan.outputs * plan.inputs, lda: plan.inputs,
                    b: tiles + xi * inputStride, ldb: run, c: products + xi * outputStride, ldc: run)
            }
            transformOutputs(products, plan: plan, first: first, count: count, bias: bias, into: output)
        }
    }

    /// Calls `body` for each block of samples with its first sample, its count, its tiles and the
    /// point strides of its inputs' and outputs' transformed tiles.
    @inline(__always)
    static func forEachBlock(_ plan: Plan, _ body: (Int, Int, Int, Int, Int) -> Void) {
        for first in stride(from: 0, to: plan.batch, by: plan.samplesPerBlock) {
            let count = min(plan.samplesPerBlock, plan.batch - first)
            body(
                first, count, count * plan.tilesPerSample, plan.pointStride(plan.inputs, samples: count),
                plan.pointStride(plan.outputs, samples: count))
        }
    }

    /// V for the tiles of samples first..<first + count: [16, inputs, count * tilesPerSample].
    static func transformInputs(
        _ source: UnsafePointer<Float>, plan: Plan, first: Int, count: Int, into tiles: UnsafeMutablePointer<Float>
    ) {
        let run = count * plan.tilesPerSample
        let (split, splitRow) = (tiles + plan.splitOffset, 2 * plan.splitWidth)
        for channel in 0..<plan.inputs {
            for sample in 0..<count {
                let plane = source + (channel * plan.batch + first + sample) * plan.height * plan.width
                // The padding rows are zero; the rows between are split with their padding columns.
                split.update(repeating: 0, count: splitRow)
                (split + (plan.height + 1) * splitRow).update(repeating: 0, count: splitRow)
                for row in 0..<plan.height {
                    splitPadded(
                        plane + row * plan.width, width: plan.width, into: split + (row + 1) * splitRow,
                        half: plan.splitWidth)
                }
                var row = 0
                // Two tile rows of four tiles are one run of eight.
                while plan.tilesAcross == 4 && row + 2 <= plan.tilesDown {
                    transformInputPair(
                        split + 2 * row * splitRow, rowStride: splitRow, half: plan.splitWidth,
                        into: tiles + channel * run + sample * plan.tilesPerSample + row * 4,
                        pointStride: plan.pointStride(plan.inputs, samples: count))
                    row += 2
                }
                for row in row..<plan.tilesDown {
                    let target = tiles + channel * run + sample * plan.tilesPerSample + row * plan.tilesAcross
                    transformInputRow(
                        split + 2 * row * splitRow, rowStride: splitRow, half: plan.splitWidth, tiles: plan.tilesAcross,
                        into: target, pointStride: plan.pointStride(plan.inputs, samples: count))
                }
            }
        }
    }

    /// The outputs of samples first..<first + count from their products M [16, outputs, run].
    static func transformOutputs(
        _ products: UnsafePointer<Float>, plan: Plan, first: Int, count: Int, bias: UnsafePointer<Float>?,
        into output: UnsafeMutablePointer<Float>
    ) {
        let run = count * plan.tilesPerSample
        for channel in 0..<plan.outputs {
            let offset = bias?[channel] ?? 0
            for sample in 0..<count {
                let plane = output + (channel * plan.batch + first + sample) * plan.height * plan.width
                var row = 0
                while plan.tilesAcross == 4 && row + 2 <= plan.tilesDown {
                    transformOutputPair(
                        products + channel * run + sample * plan.tilesPerSample + row * 4,
                        pointStride: plan.pointStride(plan.outputs, samples: count), bias: offset,
                        into: plane + 2 * row * plan.width, width: plan.width)
                    row += 2
                }
                for row in row..<plan.tilesDown {
                    let source = products + channel * run + sample * plan.tilesPerSample + row * plan.tilesAcross
                    transformOutputRow(
                        source, pointStride: plan.pointStride(plan.outputs, samples: count), tiles: plan.tilesAcross,
                        bias: offset,
                        into: plane + 2 * row * plan.width, width: plan.width)
                }
            }
        }
    }
}
