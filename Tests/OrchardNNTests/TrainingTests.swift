import OrchardTensor
import Testing

@testable import OrchardNN

@Suite("Optimizer, archive, memory and training")
struct TrainingTests {
    @Test func sgdFollowsPyTorchsUpdate() {
        let parameter = Parameter(shape: [1], kind: .weight)
        parameter.value[0] = 1
        let optimizer = SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        parameter.gradient![0] = 0.5
        optimizer.step()
        // v1 = 0.5 + 0.01 * 1 = 0.51; p1 = 1 - 0.051 = 0.949
        #expect(abs(parameter.value[0] - 0.949) < 1e-6)
        parameter.gradient![0] = 0.2
        optimizer.step()
        // v2 = 0.9 * 0.51 + 0.2 + 0.01 * 0.949 = 0.66849; p2 = 0.949 - 0.066849
        #expect(abs(parameter.value[0] - (0.949 - 0.066849)) < 1e-6)
        #expect(optimizer.stateBytes == 4)
    }

    @Test func archiveRoundTripAndMismatch() throws {
        let source = try ModelZoo.make("resnet8", sampleShape: [3, 16, 16], classes: 10, width: 0.5, seed: 1)
        let target = try ModelZoo.make("resnet8", sampleShape: [3, 16, 16], classes: 10, width: 0.5, seed: 2)
        let archive = ParameterArchive(source)
        #expect(archive.values.count == source.stateCount)
        try archive.load(into: target)
        #expect(ParameterArchive(target).values == archive.values)
        #expect(archive.entries.first { $0.name == "bn1.running_var" }?.kind == .runningVariance)
        let other = try ModelZoo.make("lenet5", sampleShape: [1, 28, 28], classes: 10)
        #expect(throws: ArchiveError.self) { try archive.load(into: other) }
        #expect(throws: ArchiveError.self) { try ParameterArchive(entries: archive.entries, values: [1, 2]) }
    }

    @Test func ledgerCountsLiveBytesByRole() {
        let (_, counts) = MemoryScope.measure {
            let kept = Tensor(zeros: [1000], role: .optimizerState)
            _ = Tensor(zeros: [500], role: .activation)
            return kept
        }
        #expect(counts.allocations == 2)
        #expect(counts.peak == 6000)
        // The activation was freed inside the scope; the returned tensor was still live.
        #expect(counts.byRole[TensorRole.activation.rawValue] == 0)
        #expect(counts.total == 4000)
        #expect(MemoryLedger.peakBytes >= 6000)
    }

    /// Four well-separated Gaussian blobs in 2-D: an MLP must fit them.
    @Test func smallNetworkLearnsAndIsDeterministic() throws {
        func train(seed: UInt64) throws -> (accuracy: Double, weights: [Float]) {
            var body: [(String, any Layer)] = []
            var random = RandomStream(seed: seed, purpose: "init")
            body = [("fc1", Linear(2, 16, random: &random)), ("relu", ReLU()), ("fc2", Linear(16, 4, random: &random))]
            let network = Network(name: "blobs", sampleShape: [2], classes: 4, body: Sequential(body))
            let trainer = Trainer(network: network, learningRate: 0.1, momentum: 0.9)
            var data = RandomStream(seed: 9, purpose: "blobs")
            let centres: [(Float, Float)] = [(2, 2), (-2, 2), (2, -2), (-2, -2)]
            let batch = Tensor(zeros: [32, 2])
            var labels = [Int32](repeating: 0, count: 32)
            var correct = 0
            for step in 0..<200 {
                for row in 0..<32 {
                    let label = data.nextInt(below: 4)
                    labels[row] = Int32(label)
                    batch[2 * row] = centres[label].0 + Float(data.nextNormal()) * 0.5
                    batch[2 * row + 1] = centres[label].1 + Float(data.nextNormal()) * 0.5
                }
                let result = labels.withUnsafeBufferPointer { trainer.step(batch, labels: $0.baseAddress!) }
                if step >= 150 { correct += result.correct }
            }
            return (Double(correct) / (50 * 32), ParameterArchive(network).values)
        }
        let first = try train(seed: 1)
        #expect(first.accuracy > 0.95)
        #expect(try train(seed: 1).weights == first.weights)
    }
}

@Suite("Steady state")
struct SteadyStateTests {
    /// Layers keep their buffers between steps, so once shapes are known a step allocates no tensor.
    @Test(arguments: ["mlp", "lenet5", "resnet8", "vgg11"])
    func stepsAllocateNothingOnceWarm(model: String) throws {
        let shape = model == "mlp" || model == "lenet5" ? [1, 28, 28] : [3, 32, 32]
        let network = try ModelZoo.make(model, sampleShape: shape, classes: 10, width: model == "vgg11" ? 0.125 : 0.5)
        let trainer = Trainer(network: network, learningRate: 0.01, momentum: 0.9)
        let batch = randomTensor([4] + shape, seed: 2)
        let labels: [Int32] = [0, 1, 2, 3]
        labels.withUnsafeBufferPointer { labels in
            let (_, warming) = MemoryScope.measure { trainer.step(batch, labels: labels.baseAddress!) }
            let (_, steady) = MemoryScope.measure { trainer.step(batch, labels: labels.baseAddress!) }
            #expect(warming.allocations > 0)
            #expect(steady.allocations == 0)
        }
    }
}
