/// The weight gradient of a `Winograd` convolution, computed in the transformed domain.
///
/// With y = A^T (U ⊙ V) A per tile, dL/dU = (A dY A^T) ⊙ V summed over tiles, and with U = G g G^T,
/// dL/dg = G^T (dL/dU) G. So each block of tiles adds 16 GEMMs dU_ξ[out, in] += Z_ξ[out, tiles]
/// V_ξ[in, tiles]^T, with Z = A dY A^T transformed like the inputs, and the 16 points of each
/// kernel's sum become its 3x3 gradient once at the end: 2.25x fewer multiplications than the
/// nine products per window offset of the wide rows.
extension Winograd {
    /// dU [16, outputs, inputs] from the input [inputs, N, H, W] and dY [outputs, N, H, W].
    ///
    /// - Parameters:
    ///   - tiles, products: scratch of `plan.blockCount` values each.
    public static func weightGradient(
        _ source: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, plan: Plan,
        tiles: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>,
        into gradient: UnsafeMutablePointer<Float>
    ) {
        forEachBlock(plan) { first, count, run, inputStride, outputStride in
            transformInputs(source, plan: plan, first: first, count: count, into: tiles)
            transformGradients(outputGradient, plan: plan, first: first, count: count, into: products)
            for xi in 0..<16 {
                // dU_ξ[out, in] (+)= Z_ξ[out, run] V_ξ[in, run]^T
                BLAS.gemm(
                    transposeA: false, transposeB: true, m: plan.outputs, n: plan.inputs, k: run,
                    a: products + xi * outputStride, lda: run, b: tiles + xi * inputStride, ldb: run,
                    beta: first == 0 ? 0 : 1, c: gradient + xi * plan.outputs * plan.inputs, ldc: plan.inputs)
            }
        }
    }

    /// Z for the tiles of samples first..<first + count: [16, outputs, count * tilesPerSample].
    static func transformGradients(
        _ gradient: UnsafePointer<Float>, plan: Plan, first: Int, count: Int, into target: UnsafeMutablePointer<Float>
    ) {
        let run = count * plan.tilesPerSample
        let pointStride = plan.pointStride(plan.outputs, samples: count)
        for channel in 0..<plan.outputs {
            for sample in 0..<count {
                let plane = gradient + (channel * plan.batch + first + sample) * plan.height * plan.width
                for row in 0..<plan.tilesDown {
                    transformGradientRow(
                        plane + 2 * row * plan.width, width: plan.width, tiles: plan.tilesAcross,
                        into: target + channel * run + sample * plan.tilesPerSample + row * plan.tilesAcross,
                        pointStride: pointStride)
                }
            }
        }
    }

    /// dW [outputs, inputs, 3, 3] = G^T dU G for every kernel of dU [16, outputs, inputs].
    public static func untransformWeightGradient(
        _ gradient: UnsafePointer<Float>, outputs: Int, inputs: Int, into weightGradient: UnsafeMutablePointer<Float>
    ) {
        let point = outputs * inputs
        for kernel in 0..<point {
            @inline(__always) func row(_ index: Int) -> SIMD4<Float> {
                let at = gradient + 4 * index * point + kernel
                return SIMD4(at[0], at[point], at[2 * point], at[3 * point])
            }
            // G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1] down the columns (four at once)...
            let (d0, d1, d2, d3) = (row(0), row(1), row(2), row(3))
            let target = weightGradient + kernel * 9
            // ...then along each of the three rows.
            @inline(__always) func store(_ d: SIMD4<Float>, row: Int) {
                target[row * 3] = d[0] + 0.5 * (d[1] + d[2])
                target[row * 3 + 1] = 0.5 * (d[1] - d[2])
                target[row * 3 + 2] = 0.5 * (d[1] + d[2]) + d[3]
            }
            store(d0 + 0.5 * (d1 + d2), row: 0)
            store(0.5 * (d1 - d2), row: 1)
            store(0.5 * (d1 + d2) + d3, row: 2)
        }
    }
}
