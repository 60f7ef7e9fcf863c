import OrchardNN
import OrchardTensor

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

extension Criterion {
    /// SynFlow scores |∂R/∂w ⊙ w| of the network as it stands, in one round (Tanaka and others, 2020).
    ///
    /// As the paper's code does, every parameter and running statistic is replaced by its
    /// absolute value (on the network, restored afterwards), the input is one all-ones sample,
    /// R is the sum of the logits, and batch norm is in evaluation mode with its running
    /// statistics (see `LinearisedPass`). With non-negative weights and inputs, ReLU passes
    /// almost everything, so R is the network's path-norm polynomial. Zero weights score zero.
    /// - Throws: `PruningError` if the network cannot be walked or a score overflows `Float`.
    public static func synFlowScores(_ network: Network, layers: PrunableLayers) throws -> ModelScores {
        let snapshot = ParameterSnapshot(network)
        defer { snapshot.restore() }
        linearise(network)
        return try synFlowRound(network, layers: layers, pass: try LinearisedPass(network))
    }

    /// The SynFlow mask for a plan, pruned over `iterations` rounds on an exponential schedule.
    ///
    /// Round k of n keeps `int(N_l · d_l^(k/n))` weights of layer l under a layer-wise
    /// allocation (its final count in the last round), or `int(P · ρ^(k/n))` of the P prunable
    /// weights under a global one (ρ the plan's sparse density). Each round rescores the absolute
    /// weights with the previous round's mask applied; pruned weights score below every kept one,
    /// so the masks shrink monotonically. The network is left as it was.
    /// - Throws: `PruningError` for an impossible plan, fewer than one iteration, or overflowing scores.
    public static func synFlowMask(_ network: Network, plan: PruningPlan, iterations: Int = 100) throws -> ModelMask {
        guard iterations >= 1 else { throw PruningError("SynFlow needs at least one iteration, not \(iterations)") }
        let layers = PrunableLayers(network, selection: plan.selection)
        let snapshot = ParameterSnapshot(network)
        defer { snapshot.restore() }
        linearise(network)
        let pass = try LinearisedPass(network)
        let absolute = layers.entries.map { $0.parameter.value.values }
        let finalKept = try layers.keptBudget(density: plan.density, budget: plan.budget)
        var mask = ModelMask.full(layers)
        for round in 1...iterations {
            for (entry, (weights, layerMask)) in zip(layers.entries, zip(absolute, mask.masks)) {
                let value = entry.parameter.value
                for index in 0..<value.count { value[index] = weights[index] }
                layerMask.apply(to: value.buffer)
            }
            var scores = try synFlowRound(network, layers: layers, pass: pass)
            for (layer, layerMask) in mask.masks.enumerated() where layerMask.count < layerMask.elementCount {
                for index in layerMask.inactiveIndices { scores.values[layer][Int(index)] = -.infinity }
            }
            let exponent = Double(round) / Double(iterations)
            switch plan.allocation {
            case .layerwise:
                let densities = try plan.layerDensities(layers)
                let kept =
                    round == iterations
                    ? DensityAllocation.keptCounts(shapes: layers.shapes, densities: densities)
                    : DensityAllocation.keptCounts(
                        shapes: layers.shapes, densities: densities.map { pow($0, exponent) })
                mask = MaskSelection.layerwise(scores, keptCounts: kept)
            case .global(let minimum):
                let prunable = Double(layers.prunableCount)
                let kept =
                    round == iterations
                    ? finalKept : Int(prunable * pow(Double(finalKept) / prunable, exponent))
                mask = try MaskSelection.global(scores, kept: kept, minimum: minimum)
            }
        }
        return mask
    }

    /// Replaces every parameter and running statistic of the network by its absolute value.
    private static func linearise(_ network: Network) {
        for entry in network.parameters {
            let value = entry.parameter.value
            for index in 0..<value.count { value[index] = abs(value[index]) }
        }
    }

    /// One SynFlow scoring of an already linearised network.
    private static func synFlowRound(_ network: Network, layers: PrunableLayers, pass: LinearisedPass) throws
        -> ModelScores
    {
        let input = Tensor(zeros: [1] + network.sampleShape, role: .data)
        input.fill(1)
        let logits = pass.forward(input)
        let seed = Tensor(zeros: logits.shape)
        seed.fill(1)
        pass.backward(seed)
        let values = try layers.entries.map { entry in
            let (value, gradient) = (entry.parameter.value, entry.parameter.gradient!)
            return try (0..<value.count).map { index -> Float in
                let score = abs(gradient[index] * value[index])
                guard score.isFinite else {
                    throw PruningError(
                        "SynFlow score of \(entry.name)[\(index)] is \(score): the path norm overflows Float")
                }
                return score
            }
        }
        return ModelScores(names: layers.names, shapes: layers.shapes, values: values)
    }
}
