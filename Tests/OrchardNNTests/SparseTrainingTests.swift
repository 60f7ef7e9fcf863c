import OrchardTensor
import OrchardTestSupport
import Testing

@testable import OrchardNN

/// Random kept positions: each of `count` positions kept with probability `density`.
func randomMask(count: Int, density: Double, seed: UInt64) -> [Int32] {
    var random = RandomStream(seed: seed, purpose: "test-mask")
    return (0..<count).compactMap { random.nextDouble() < density ? Int32($0) : nil }
}

/// Masks of every prunable weight of `network` at `density`.
func randomMasks(_ network: Network, density: Double, seed: UInt64) -> [String: [Int32]] {
    var masks: [String: [Int32]] = [:]
    for (index, entry) in network.prunableLayers().enumerated() {
        masks[entry.name] = randomMask(
            count: entry.layer.weight.denseCount, density: density, seed: seed + UInt64(index))
    }
    return masks
}

@Suite("Sparse weights in layers and networks")
struct SparseTrainingTests {
    /// Compact and masked copies of a model, trained the same way, agree.
    ///
    /// The sparse kernels compute what dense kernels on the masked weight do. Tolerance: 1e-4
    /// relative, for float sums taken in another order over a few steps.
    @Test(arguments: ["lenet5", "resnet8"])
    func compactTrainingEqualsMaskedTraining(model: String) throws {
        let shape = model == "lenet5" ? [1, 28, 28] : [3, 12, 12]
        let width = model == "lenet5" ? 1.0 : 0.5
        let compact = try ModelZoo.make(model, sampleShape: shape, classes: 10, width: width, seed: 3)
        let masked = try ModelZoo.make(model, sampleShape: shape, classes: 10, width: width, seed: 3)
        let masks = randomMasks(compact, density: 0.1, seed: 5)
        try compact.applyMasks(masks, batch: 4, storage: .compact)
        try masked.applyMasks(masks, batch: 4, storage: .masked)
        #expect(compact.prunableLayers().allSatisfy { $0.layer.weight.isCompact })
        #expect(masked.prunableLayers().allSatisfy { !$0.layer.weight.isCompact })
        let input = randomTensor([4] + shape, seed: 9)
        let labels: [Int32] = [1, 7, 3, 0]
        let trainers = [compact, masked].map { Trainer(network: $0, learningRate: 0.05, momentum: 0.9) }
        for _ in 0..<3 {
            for trainer in trainers {
                labels.withUnsafeBufferPointer { _ = trainer.step(input, labels: $0.baseAddress!) }
            }
        }
        for (left, right) in zip(compact.parameters, masked.parameters) {
            expectClose(left.parameter.denseValue(), right.parameter.denseValue(), left.name)
        }
        // Pruned positions of the masked copy never moved off zero.
        for entry in masked.prunableLayers() {
            let kept = Set(masks[entry.name]!)
            let value = entry.layer.weight.value
            #expect((0..<value.count).allSatisfy { kept.contains(Int32($0)) || value[$0] == 0 }, "\(entry.name)")
        }
        #expect(compact.masks == masks)
    }

    /// LeNet-5's convolutions run fused with their ReLU and max pool exactly while compact, under
    /// the same parameter names.
    @Test func compactConvolutionsRunFusedWithTheirPools() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 3)
        let names = network.parameters.map(\.name)
        #expect(network.body.fusedConvolutions.isEmpty)
        try network.applyMasks(randomMasks(network, density: 0.1, seed: 5), batch: 4, storage: .compact)
        #expect(network.body.fusedConvolutions.count == 2)
        #expect(network.parameters.map(\.name) == names)
        let profile = LayerProfile()
        network.profile = profile
        let logits = network.forward(randomTensor([4, 1, 28, 28], seed: 9), mode: .training)
        network.backward(logits)
        network.profile = nil
        #expect(profile.entries.map(\.name).contains("conv1+relu1+pool1"))
        #expect(!profile.entries.map(\.name).contains("relu1"))
        network.removeMasks()
        #expect(network.body.fusedConvolutions.isEmpty)
    }

    /// The gradient at arbitrary positions, read after a pass, equals the dense layer's gradient.
    @Test(arguments: [false, true])
    func gradientAtPositionsMatchesDenseGradient(compact: Bool) throws {
        let dense = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 4)
        let pruned = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 4)
        let masks = randomMasks(pruned, density: 0.2, seed: 6)
        try pruned.applyMasks(masks, batch: 2, storage: compact ? .compact : .masked)
        try dense.applyMasks(masks, batch: 2, storage: .masked)
        dense.removeMasks()  // dense again, pruned positions at zero: same function as `pruned`
        let input = randomTensor([2, 1, 28, 28], seed: 2)
        let criterion = SoftmaxCrossEntropy()
        let labels: [Int32] = [4, 8]
        for network in [dense, pruned] {
            let logits = network.forward(input, mode: .training)
            let result = labels.withUnsafeBufferPointer { criterion(logits, labels: $0.baseAddress!) }
            network.backward(result.gradient)
        }
        for (denseEntry, entry) in zip(dense.prunableLayers(), pruned.prunableLayers()) {
            let count = entry.layer.weight.denseCount
            let positions = (0..<count).map(Int32.init)
            var gradients = [Float](repeating: 0, count: count)
            positions.withUnsafeBufferPointer { positions in
                gradients.withUnsafeMutableBufferPointer { gradients in
                    if let conv = entry.layer as? Conv2d {
                        conv.weightGradient(at: positions, into: gradients.baseAddress!)
                    } else if let linear = entry.layer as? Linear {
                        linear.weightGradient(at: positions, into: gradients.baseAddress!)
                    }
                }
            }
            let expected = denseEntry.layer.weight.gradient!
            OrchardTestSupport.expectClose(gradients, expected.values, within: .reordered, entry.name)
        }
    }

    /// Pruning again carries kept values and momentum over and starts regrown positions at zero.
    @Test func repruningCarriesValuesAndMomentum() {
        let parameter = Parameter(shape: [2, 3], kind: .weight)
        for index in 0..<6 { parameter.value[index] = Float(index + 1) }
        parameter.momentum = Tensor(shape: [2, 3], values: [10, 20, 30, 40, 50, 60], role: .optimizerState)
        parameter.prune(to: SparsePattern(rows: 2, columns: 3, flatIndices: [0, 2, 4]), compact: true)
        #expect(parameter.value.values == [1, 3, 5])
        #expect(parameter.momentum?.values == [10, 30, 50])
        #expect(parameter.gradient?.count == 3)
        parameter.prune(to: SparsePattern(rows: 2, columns: 3, flatIndices: [1, 2, 5]), compact: true)
        #expect(parameter.value.values == [0, 3, 0])
        #expect(parameter.momentum?.values == [0, 30, 0])
        parameter.prune(to: SparsePattern(rows: 2, columns: 3, flatIndices: [2, 3]), compact: false)
        #expect(parameter.value.values == [0, 0, 3, 0, 0, 0])
        #expect(parameter.denseValue().values == [0, 0, 3, 0, 0, 0])
        parameter.prune(to: nil, compact: false)
        #expect(parameter.pattern == nil && parameter.value.count == 6)
    }

    /// A compact model's parameters, gradients and momentum shrink with the density, as the
    /// engine's ledger counts them, index arrays included.
    @Test func compactStateBytesScaleWithDensity() throws {
        func stateBytes(density: Double) throws -> Int {
            let (bytes, _) = try MemoryScope.measure { () throws -> Int in
                let network = try ModelZoo.make("mlp", sampleShape: [784], classes: 10)
                if density < 1 {
                    try network.applyMasks(randomMasks(network, density: density, seed: 1), batch: 8, storage: .compact)
                }
                let trainer = Trainer(network: network, learningRate: 0.1, momentum: 0.9)
                let input = randomTensor([8, 784], seed: 3)
                let labels = [Int32](repeating: 1, count: 8)
                labels.withUnsafeBufferPointer { _ = trainer.step(input, labels: $0.baseAddress!) }
                return network.trainableParameters.reduce(0) {
                    $0 + $1.storedBytes + ($1.gradient?.byteCount ?? 0) + ($1.momentum?.byteCount ?? 0)
                }
            }
            return bytes
        }
        let dense = try stateBytes(density: 1)
        let sparse = try stateBytes(density: 0.01)
        // 266,610 trained values dense at 12 bytes each; at 1% about 2,700 kept values at 16 bytes
        // plus dense biases and row starts: far below 5% of the dense bytes.
        #expect(dense == 266_610 * 12)
        #expect(Double(sparse) < 0.05 * Double(dense))
    }

    @Test func archiveOfSparseNetworkIsDenseAndLoadsBack() throws {
        let network = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 1)
        let masks = randomMasks(network, density: 0.05, seed: 2)
        try network.applyMasks(masks, batch: 8, storage: .compact)
        let archive = ParameterArchive(network)
        #expect(archive.values.count == network.stateCount)
        let copy = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10, seed: 9)
        try copy.applyMasks(masks, batch: 8, storage: .masked)
        try archive.load(into: copy)
        #expect(ParameterArchive(copy).values == archive.values)
        #expect(throws: NetworkError.self) { try copy.applyMasks(["nope.weight": []], batch: 1) }
        #expect(throws: NetworkError.self) { try copy.applyMasks(["fc1.weight": [3, 2]], batch: 1) }
    }
}

/// A residual block whose compact convolution adds its dX into the other path's
/// (`Conv2d.backward(_:adding:)`) gives what the block with masked dense weights gives.
@Suite("Residual blocks adding one path's input gradient into the other's")
struct ResidualSumTests {
    /// The block at `stride` with every convolution masked, or those named in `compact` compact.
    private func block(stride: Int, compact: Set<String>) -> BasicBlock {
        var random = RandomStream(seed: 11, purpose: "block")
        let block = BasicBlock(4, stride == 1 ? 4 : 6, stride: stride, random: &random)
        var convolutions = [("conv1", block.conv1), ("conv2", block.conv2)]
        if let projection = block.downsample?.layers[0].layer as? Conv2d {
            convolutions.append(("projection", projection))
        }
        for (index, (name, convolution)) in convolutions.enumerated() {
            let count = convolution.weight.denseCount
            let kept = randomMask(count: count, density: 0.3, seed: 40 + UInt64(index))
            let (rows, columns) = convolution.weight.matrixShape
            convolution.weight.prune(
                to: SparsePattern(rows: rows, columns: columns, flatIndices: kept), compact: compact.contains(name))
        }
        return block
    }

    /// Tolerance 1e-4 relative: the sparse kernels sum in another order than the dense ones.
    @Test(arguments: [
        (1, ["conv1", "conv2"]), (1, ["conv2"]), (2, ["conv1", "conv2", "projection"]), (2, ["projection"]),
        (2, ["conv1"]),
    ])
    func compactBlockGivesTheMaskedInputGradient(stride: Int, compact: [String]) {
        let input = randomTensor([4, 3, 6, 6], seed: 12)
        let (sparse, masked) = (block(stride: stride, compact: Set(compact)), block(stride: stride, compact: []))
        let output = sparse.forward(input, mode: .training).copy()
        let reference = masked.forward(input, mode: .training)
        expectClose(output, reference, "output")
        let gradient = randomTensor(output.shape, seed: 13)
        let inputGradient = sparse.backward(gradient)!.copy()
        expectClose(inputGradient, masked.backward(gradient)!, "input gradient")
        // The sum still counts one add per input value, as when it ran apart.
        let parts: [any Layer] =
            [sparse.conv1, sparse.bn1, sparse.conv2, sparse.bn2] + (sparse.downsample?.layers.map(\.layer) ?? [])
        let counted = parts.reduce(0) { $0 + $1.flops.backward }
        #expect(sparse.flops.backward == counted + output.count + input.count)
        // The gradient at every weight position, as a top-K search reads it, also from conv2's
        // planes that bn1 wrote.
        for (left, right) in [(sparse.conv1, masked.conv1), (sparse.conv2, masked.conv2)] {
            let positions = (0..<Int32(left.weight.denseCount)).map { $0 }
            let (mine, theirs) = (Tensor(zeros: [positions.count]), Tensor(zeros: [positions.count]))
            positions.withUnsafeBufferPointer {
                left.weightGradient(at: $0, into: mine.data)
                right.weightGradient(at: $0, into: theirs.data)
            }
            expectClose(mine, theirs, "gradient at every position")
        }
        // A second step reuses the tensors and still agrees.
        _ = sparse.forward(input, mode: .training)
        _ = masked.forward(input, mode: .training)
        expectClose(sparse.backward(gradient)!, masked.backward(gradient)!, "second input gradient")
    }
}
