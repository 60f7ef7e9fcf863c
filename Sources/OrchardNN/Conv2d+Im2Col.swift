import OrchardTensor

/// The im2col path, which serves every geometry: groups of samples unfolded into a column matrix
/// (`Im2Col`) multiplied by the weight [C', C * kh * kw] with one GEMM per group.
///
/// Groups are sized so that the columns stay in cache (`ConvolutionPlan.groupSize`). Because
/// activations are channel-major, each GEMM writes its rows straight into the output, and a 1x1
/// stride-1 convolution needs no unfolding at all. The backward pass unfolds again rather than
/// keeping the columns of the whole batch, trading a cheap copy for memory.
extension Conv2d {
    /// The bias, then one GEMM per group adding into it.
    func im2colForward(_ input: Tensor, _ plan: ConvolutionPlan, into output: Tensor) {
        let (g, batch, plane) = (plan.geometry, plan.batch, plan.geometry.outputPlane)
        // The GEMMs add into the output (beta 1), so it starts as the bias.
        if let bias {
            for channel in 0..<outputChannels {
                (output.data + channel * batch * plane).update(repeating: bias.value[channel], count: batch * plane)
            }
        }
        for first in Swift.stride(from: 0, to: batch, by: plan.group) {
            let count = min(plan.group, batch - first)
            let (columns, leading) = unfoldedColumns(input, plan, first: first, count: count)
            BLAS.gemm(
                transposeA: false, transposeB: false, m: outputChannels, n: count * plane, k: g.patchSize,
                a: weight.value.data, lda: g.patchSize, b: columns, ldb: leading,
                beta: bias == nil ? 0 : 1, c: output.data + first * plane, ldc: batch * plane)
        }
    }

    /// dW, and dX added into `inputGradient` (zeroed by the caller), group by group.
    func im2colBackward(
        _ input: Tensor, _ outputGradient: Tensor, _ plan: ConvolutionPlan, into inputGradient: Tensor?
    ) {
        let (batch, plane) = (plan.batch, plan.geometry.outputPlane)
        for first in Swift.stride(from: 0, to: batch, by: plan.group) {
            let count = min(plan.group, batch - first)
            let (columns, leading) = unfoldedColumns(input, plan, first: first, count: count)
            let gradientRows = outputGradient.data + first * plane
            accumulateWeightGradient(
                gradientRows, leading: batch * plane, columns, leading: leading, plan, positions: count * plane,
                first: first == 0)
            if let inputGradient {
                propagate(gradientRows, plan, first: first, count: count, into: inputGradient)
            }
        }
        if plan.transposesWeightGradient { transposeInto(weight.gradient!, plan) }
    }

    /// The column matrix of a group and its leading dimension: the input itself when pointwise.
    private func unfoldedColumns(_ input: Tensor, _ plan: ConvolutionPlan, first: Int, count: Int)
        -> (UnsafeMutablePointer<Float>, Int)
    {
        let g = plan.geometry
        if g.isPointwise { return (input.data + first * g.outputPlane, plan.batch * g.outputPlane) }
        let columns = plan.tensor(.columns)
        Im2Col.unfold(input.data, batch: plan.batch, first: first, count: count, geometry: g, into: columns.data)
        return (columns.data, count * g.outputPlane)
    }

    /// Adds a group's share to dW: dY[out, group] columns^T[group, patch], in the faster orientation.
    private func accumulateWeightGradient(
        _ gradientRows: UnsafePointer<Float>, leading gradientLeading: Int, _ columns: UnsafePointer<Float>,
        leading: Int, _ plan: ConvolutionPlan, positions: Int, first: Bool
    ) {
        let patch = plan.geometry.patchSize
        if plan.transposesWeightGradient {
            let scratch = plan.tensor(.transposedWeightGradient)
            // dW^T[patch, out] (+)= columns[patch, group] dY^T[group, out]
            BLAS.gemm(
                transposeA: false, transposeB: true, m: patch, n: outputChannels, k: positions,
                a: columns, lda: leading, b: gradientRows, ldb: gradientLeading,
                beta: first ? 0 : 1, c: scratch.data, ldc: outputChannels)
        } else {
            // dW[out, patch] (+)= dY[out, group] columns^T[group, patch]
            BLAS.gemm(
                transposeA: false, transposeB: true, m: outputChannels, n: patch, k: positions,
                a: gradientRows, lda: gradientLeading, b: columns, ldb: leading,
                beta: first ? 0 : 1, c: weight.gradient!.data, ldc: patch)
        }
    }

    /// Writes the transposed scratch [patch, out] into dW [out, patch].
    private func transposeInto(_ weightGradient: Tensor, _ plan: ConvolutionPlan) {
        guard let scratch = plan.existing(.transposedWeightGradient) else { return }
        let (patch, outputs) = (scratch.shape[0], scratch.shape[1])
        for row in 0..<patch {
            for column in 0..<outputs { weightGradient[column * patch + row] = scratch[row * outputs + column] }
        }
    }

    /// dX of a group: columns' gradient W^T dY, folded back into the input's layout.
    private func propagate(
        _ gradientRows: UnsafePointer<Float>, _ plan: ConvolutionPlan, first: Int, count: Int,
        into inputGradient: Tensor
    ) {
        let (g, batch) = (plan.geometry, plan.batch)
        let plane = g.outputPlane
        if g.isPointwise {
            BLAS.gemm(
                transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
                a: weight.value.data, lda: g.patchSize, b: gradientRows, ldb: batch * plane,
                c: inputGradient.data + first * plane, ldc: batch * plane)
            return
        }
        let columnGradient = plan.tensor(.columnGradient)
        BLAS.gemm(
            transposeA: true, transposeB: false, m: g.patchSize, n: count * plane, k: outputChannels,
            a: weight.value.data, lda: g.patchSize, b: gradientRows, ldb: batch * plane,
            c: columnGradient.data, ldc: count * plane)
        Im2Col.fold(
            columnGradient.data, batch: batch, first: first, count: count, geometry: g, into: inputGradient.data)
    }
}
