import OrchardData
import OrchardExport
import OrchardNN
import OrchardRuntime
import OrchardTensor

/// What Orchard computes on a run's test set, written for the export checks of
/// `Scripts/test-export.sh` to compare with onnxruntime and PyTorch (`orchard export --reference`).
///
/// The file holds the test images (`images`, uint8 NCHW, or `features`, float32), their `labels`
/// (int64) and Orchard's evaluation logits (`logits`); for one training batch of the first
/// `batchSize` test samples, each layer's output (`activation.<layer>`, NCHW, in evaluation mode,
/// nested chains walked layer by layer, residual blocks whole), the training-mode logits
/// (`train.logits`) and each trained parameter's gradient of the mean cross-entropy
/// (`grad.<name>`, dense, zero at pruned positions). Its metadata gives the batch size and the
/// data set's per-channel `mean` and `std` (JSON arrays).
enum ReferenceOutputs {
    static let batchSize = 32

    static func file(_ model: CheckpointModel) throws -> SafeTensorsFile {
        let network = model.network
        let test = model.test
        var tensors: [SafeTensor] = []
        if let bytes = test.sampleBytes {
            tensors.append(
                SafeTensor(name: "images", dtype: .uint8, shape: [test.count] + test.sampleShape, bytes: bytes))
        } else {
            tensors.append(
                SafeTensor(
                    name: "features", shape: [test.count] + test.sampleShape,
                    floats: features(test, Array(0..<test.count))))
        }
        var labels = [UInt8]()
        for label in test.labels { withUnsafeBytes(of: Int64(label).littleEndian) { labels += $0 } }
        tensors.append(SafeTensor(name: "labels", dtype: .int64, shape: [test.count], bytes: labels))
        var logits = [Float]()
        for start in stride(from: 0, to: test.count, by: 256) {
            let indices = Array(start..<min(start + 256, test.count))
            let output = network.forward(
                Tensor(shape: [indices.count] + test.sampleShape, values: features(test, indices)), mode: .evaluation)
            logits += values(output)
        }
        tensors.append(SafeTensor(name: "logits", shape: [test.count, network.classes], floats: logits))
        let batch = Array(0..<min(batchSize, test.count))
        let input = Tensor(shape: [batch.count] + test.sampleShape, values: features(test, batch))
        tensors += activations(network.body, prefix: "", input: input)
        tensors += gradients(network, input: input, labels: batch.map { test.labels[$0] })
        var metadata = ["batch": String(batch.count)]
        if let statistics = test.channelStatistics {
            metadata["mean"] = "[" + statistics.mean.map { "\($0)" }.joined(separator: ", ") + "]"
            metadata["std"] = "[" + statistics.std.map { "\($0)" }.joined(separator: ", ") + "]"
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The normalised features of the samples at `indices`.
    static func features(_ data: Dataset, _ indices: [Int]) -> [Float] {
        var features = [Float](repeating: 0, count: indices.count * data.featuresPerSample)
        var labels = [Int32](repeating: 0, count: indices.count)
        features.withUnsafeMutableBufferPointer { target in
            labels.withUnsafeMutableBufferPointer { labelTarget in
                data.fillBatch(indices: indices, features: target.baseAddress!, labels: labelTarget.baseAddress!)
            }
        }
        return features
    }

    static func values(_ tensor: Tensor) -> [Float] {
        withExtendedLifetime(tensor) { Array(UnsafeBufferPointer(start: tensor.data, count: tensor.count)) }
    }

    /// Each layer's evaluation output, nested chains walked layer by layer; channel-major images
    /// are written NCHW.
    static func activations(_ chain: Sequential, prefix: String, input: Tensor) -> [SafeTensor] {
        var tensors: [SafeTensor] = []
        var value = input
        var channelMajor = false
        walk(chain, prefix: prefix, value: &value, channelMajor: &channelMajor, into: &tensors)
        return tensors
    }

    private static func walk(
        _ chain: Sequential, prefix: String, value: inout Tensor, channelMajor: inout Bool,
        into tensors: inout [SafeTensor]
    ) {
        for entry in chain.layers {
            let name = prefix.isEmpty ? entry.name : prefix + "." + entry.name
            if let nested = entry.layer as? Sequential {
                walk(nested, prefix: name, value: &value, channelMajor: &channelMajor, into: &tensors)
                continue
            }
            value = entry.layer.forward(value, mode: .evaluation).copy()
            if entry.layer is ChannelMajor { channelMajor = true }
            if entry.layer is Flatten { channelMajor = false }
            tensors.append(
                SafeTensor(
                    name: "activation." + name, shape: sampleMajorShape(value.shape, channelMajor),
                    floats: sampleMajor(value, channelMajor)))
        }
    }

    private static func sampleMajorShape(_ shape: [Int], _ channelMajor: Bool) -> [Int] {
        channelMajor && shape.count == 4 ? [shape[1], shape[0], shape[2], shape[3]] : shape
    }

    /// [C, N, H, W] values as [N, C, H, W]; others as they are.
    private static func sampleMajor(_ tensor: Tensor, _ channelMajor: Bool) -> [Float] {
        let flat = values(tensor)
        guard channelMajor, tensor.shape.count == 4 else { return flat }
        let (channels, samples, plane) = (tensor.shape[0], tensor.shape[1], tensor.shape[2] * tensor.shape[3])
        var result = [Float](repeating: 0, count: flat.count)
        for channel in 0..<channels {
            for sample in 0..<samples {
                let source = (channel * samples + sample) * plane
                let target = (sample * channels + channel) * plane
                result.replaceSubrange(target..<(target + plane), with: flat[source..<(source + plane)])
            }
        }
        return result
    }

    /// The training logits and every trained parameter's gradient (dense) for one batch.
    static func gradients(_ network: Network, input: Tensor, labels: [Int32]) -> [SafeTensor] {
        let logits = network.forward(input, mode: .training)
        var tensors = [SafeTensor(name: "train.logits", shape: logits.shape, floats: values(logits))]
        let loss = SoftmaxCrossEntropy()
        let gradient = labels.withUnsafeBufferPointer { loss(logits, labels: $0.baseAddress!).gradient }
        network.backward(gradient)
        for named in network.parameters where named.parameter.kind.isTrainable {
            guard let gradient = named.parameter.gradient else { continue }
            var dense = values(gradient)
            if named.parameter.isCompact, let pattern = named.parameter.pattern {
                var scattered = [Float](repeating: 0, count: named.parameter.denseCount)
                let kept = dense
                kept.withUnsafeBufferPointer { source in
                    scattered.withUnsafeMutableBufferPointer {
                        pattern.scatter(source.baseAddress!, into: $0.baseAddress!)
                    }
                }
                dense = scattered
            }
            tensors.append(SafeTensor(name: "grad." + named.name, shape: named.parameter.shape, floats: dense))
        }
        return tensors
    }
}
