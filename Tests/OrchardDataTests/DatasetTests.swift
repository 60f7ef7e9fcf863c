import OrchardData
import Testing

@Suite("Dataset")
struct DatasetTests {
    /// Three 2-channel samples of 2x2 bytes with distinct values.
    static func byteSet() -> Dataset {
        let bytes: [UInt8] = (0..<24).map { UInt8($0 * 11) }
        return Dataset(
            name: "bytes", sampleShape: [2, 2, 2], classCount: 3, labels: [2, 0, 1], bytes: bytes,
            mean: [0.5, 0.25], std: [0.2, 0.4])
    }

    static func floatSet() -> Dataset {
        Dataset(
            name: "floats", sampleShape: [3], classCount: 4, labels: [3, 1, 1, 0],
            floats: (0..<12).map { Float($0) * 0.5 })
    }

    @Test func fillBatchNormalisesEachChannel() {
        let data = Self.byteSet()
        var features = [Float](repeating: .nan, count: 2 * 8)
        var labels = [Int32](repeating: -1, count: 2)
        features.withUnsafeMutableBufferPointer { featureBuffer in
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                data.fillBatch(indices: [2, 0], features: featureBuffer.baseAddress!, labels: labelBuffer.baseAddress!)
            }
        }
        #expect(labels == [1, 2])
        let mean: [Float] = [0.5, 0.25]
        let std: [Float] = [0.2, 0.4]
        for (row, sample) in [2, 0].enumerated() {
            for feature in 0..<8 {
                let byte = Float((sample * 8 + feature) * 11)
                let channel = feature / 4
                let expected = (byte / 255 - mean[channel]) / std[channel]
                #expect(abs(features[row * 8 + feature] - expected) < 1e-5)
            }
        }
        // Byte 0 of channel 0 becomes -mean/std.
        #expect(abs(features[8] - -2.5) < 1e-6)
    }

    @Test func fillBatchCopiesFloatsAndTakesSlices() {
        let data = Self.floatSet()
        let order = [3, 1, 0, 2]
        var features = [Float](repeating: .nan, count: 2 * 3)
        var labels = [Int32](repeating: -1, count: 2)
        features.withUnsafeMutableBufferPointer { featureBuffer in
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                data.fillBatch(
                    indices: order[1..<3], features: featureBuffer.baseAddress!, labels: labelBuffer.baseAddress!)
            }
        }
        #expect(features == [1.5, 2, 2.5, 0, 0.5, 1])
        #expect(labels == [1, 3])
    }

    @Test func subsetCopiesInOrder() {
        let bytes = Self.byteSet()
        let picked = bytes.subset([1, 1, 2])
        #expect(picked.count == 3)
        #expect(picked.labels == [0, 0, 1])
        #expect(picked.sampleShape == bytes.sampleShape)
        let all = bytes.allFeatures()
        #expect(picked.allFeatures() == Array(all[8..<16] + all[8..<16] + all[16..<24]))
        #expect(picked.storageBytes == 24)

        let floats = Self.floatSet().subset([2])
        #expect(floats.allFeatures() == [3, 3.5, 4])
        #expect(floats.labels == [1])
        #expect(Self.floatSet().subset([]).count == 0)
    }

    @Test func shapesAndCounts() {
        let data = Self.floatSet()
        #expect(data.count == 4)
        #expect(data.featuresPerSample == 3)
        #expect(data.classCounts() == [1, 2, 0, 1])
        #expect(Self.byteSet().featuresPerSample == 8)
        #expect(Self.byteSet().classCounts() == [1, 1, 1])
        #expect(data.storageBytes == 12 * 4)
    }

    @Test func singleChannelMeanAppliesToEveryFeature() {
        let data = Dataset(
            name: "grey", sampleShape: [1, 2, 3], classCount: 2, labels: [1], bytes: [0, 51, 102, 153, 204, 255],
            mean: [0.5], std: [0.5])
        let features = data.allFeatures()
        for (feature, value) in features.enumerated() {
            #expect(abs(value - (Float(feature) * 0.2 - 0.5) / 0.5) < 1e-5)
        }
    }

    @Test func errorsReadAsPathThenProblem() {
        #expect(DataError(path: "data/x", problem: "truncated").description == "data/x: truncated")
        #expect(PartitionError("too many clients").description == "too many clients")
    }
}
