import OrchardData
import Testing

@Suite("Generated image set")
struct SyntheticImagesTests {
    /// The test accuracy of classifying each test image as the class whose mean training image is
    /// nearest.
    static func nearestClassMeanAccuracy(_ split: DatasetSplit) -> Double {
        let width = split.train.featuresPerSample
        let classes = split.train.classCount
        let train = split.train.allFeatures()
        var means = [Float](repeating: 0, count: classes * width)
        let counts = split.train.classCounts()
        for (sample, label) in split.train.labels.enumerated() {
            let row = Int(label) * width
            for feature in 0..<width { means[row + feature] += train[sample * width + feature] }
        }
        for label in 0..<classes {
            for feature in 0..<width { means[label * width + feature] /= Float(max(1, counts[label])) }
        }
        let test = split.test.allFeatures()
        var correct = 0
        for (sample, label) in split.test.labels.enumerated() {
            var best = 0
            var bestDistance = Float.infinity
            for candidate in 0..<classes {
                var distance: Float = 0
                for feature in 0..<width {
                    let difference = test[sample * width + feature] - means[candidate * width + feature]
                    distance += difference * difference
                }
                if distance < bestDistance {
                    best = candidate
                    bestDistance = distance
                }
            }
            if best == Int(label) { correct += 1 }
        }
        return Double(correct) / Double(split.test.count)
    }

    @Test(arguments: [[1, 28, 28], [3, 32, 32]])
    func learnableButNotTrivial(shape: [Int]) {
        let split = SyntheticImages.generate(shape: shape, trainCount: 600, testCount: 300, seed: 1)
        let accuracy = Self.nearestClassMeanAccuracy(split)
        // Chance is 10%. Well above it, but a nearest-mean rule must not solve the set.
        #expect(accuracy > 0.5, "nearest-class-mean accuracy \(accuracy)")
        #expect(accuracy < 0.97, "nearest-class-mean accuracy \(accuracy)")
    }

    @Test func moreNoiseIsHarder() {
        let clean = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 400, testCount: 200, noise: 0.1, seed: 2)
        let noisy = SyntheticImages.generate(shape: [1, 28, 28], trainCount: 400, testCount: 200, noise: 2, seed: 2)
        #expect(Self.nearestClassMeanAccuracy(clean) > Self.nearestClassMeanAccuracy(noisy))
    }

    @Test func shapesBalanceAndScale() {
        let split = SyntheticImages.generate(shape: [3, 32, 32], classes: 4, trainCount: 42, testCount: 8, seed: 9)
        #expect(split.train.sampleShape == [3, 32, 32])
        #expect(split.train.count == 42)
        #expect(split.test.count == 8)
        #expect(split.train.classCounts() == [11, 11, 10, 10])
        #expect(split.test.classCounts() == [2, 2, 2, 2])
        // Round-robin labels are shuffled, not left in order.
        #expect(split.train.labels != (0..<42).map { Int32($0 % 4) })
        let features = split.train.allFeatures()
        let mean = features.reduce(0, +) / Float(features.count)
        let variance = features.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(features.count)
        #expect(abs(mean) < 0.15)
        #expect(abs(variance - 1) < 0.25)
    }

    @Test func deterministicPerSeed() {
        let first = SyntheticImages.generate(shape: [1, 8, 8], trainCount: 20, testCount: 10, seed: 4)
        let again = SyntheticImages.generate(shape: [1, 8, 8], trainCount: 20, testCount: 10, seed: 4)
        let other = SyntheticImages.generate(shape: [1, 8, 8], trainCount: 20, testCount: 10, seed: 5)
        #expect(first.train.allFeatures() == again.train.allFeatures())
        #expect(first.test.labels == again.test.labels)
        #expect(first.train.allFeatures() != other.train.allFeatures())
    }
}
