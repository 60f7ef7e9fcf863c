import OrchardData
import Testing

@Suite("Synthetic(alpha, beta) federated data")
struct SyntheticFederatedTests {
    @Test func shapesAndSizes() {
        let clients = SyntheticFederated.generate(alpha: 1, beta: 1, clients: 6, seed: 3)
        #expect(clients.count == 6)
        for (index, client) in clients.enumerated() {
            let total = client.train.count + client.test.count
            #expect(total >= 50)
            #expect(total <= SyntheticFederated.maximumSamplesPerClient)
            #expect(client.test.count == Int((Double(total) * 0.2).rounded()))
            #expect(client.train.sampleShape == [60])
            #expect(client.test.sampleShape == [60])
            #expect(client.train.classCount == 10)
            #expect(client.train.name == "synthetic(1.0,1.0)-client\(index)-train")
        }
        let small = SyntheticFederated.generate(
            alpha: 0.5, beta: 0.5, clients: 2, dimension: 5, classes: 3, seed: 3, testFraction: 0.5)
        #expect(small[0].train.sampleShape == [5])
        #expect(small[1].test.classCount == 3)
        #expect(small.allSatisfy { abs($0.train.count - $0.test.count) <= 1 })
    }

    @Test func sameSeedSameDataDifferentSeedDifferentData() {
        let first = SyntheticFederated.generate(alpha: 0.5, beta: 0.5, clients: 3, seed: 11)
        let again = SyntheticFederated.generate(alpha: 0.5, beta: 0.5, clients: 3, seed: 11)
        let other = SyntheticFederated.generate(alpha: 0.5, beta: 0.5, clients: 3, seed: 12)
        for client in 0..<3 {
            #expect(first[client].train.labels == again[client].train.labels)
            #expect(first[client].train.allFeatures() == again[client].train.allFeatures())
            #expect(first[client].test.allFeatures() == again[client].test.allFeatures())
        }
        #expect(first[0].train.allFeatures().prefix(60) != other[0].train.allFeatures().prefix(60))
        // Clients draw from their own streams: the first clients do not depend on the total.
        let more = SyntheticFederated.generate(alpha: 0.5, beta: 0.5, clients: 5, seed: 11)
        #expect(more[2].train.allFeatures() == first[2].train.allFeatures())
    }

    @Test func clientsDifferInLabelsAndInputs() {
        let clients = SyntheticFederated.generate(alpha: 1, beta: 1, clients: 8, seed: 5)
        let distributions = clients.map { client -> [Double] in
            let counts = client.train.classCounts()
            return counts.map { Double($0) / Double(client.train.count) }
        }
        // Each client's own model puts most samples in a few classes, and not the same ones.
        let largestShares = distributions.map { $0.max() ?? 0 }
        #expect(largestShares.reduce(0, +) / Double(largestShares.count) > 0.3)
        var differences = [Double]()
        for first in 0..<distributions.count {
            for second in (first + 1)..<distributions.count {
                let distance = zip(distributions[first], distributions[second]).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
                differences.append(distance)
            }
        }
        // Mean total-variation distance between clients' label distributions.
        #expect(differences.reduce(0, +) / Double(differences.count) > 0.3)
        // The feature means also move from client to client (B_k, v_k).
        let featureMeans = clients.map { client -> Float in
            let features = client.train.allFeatures()
            return features.reduce(0, +) / Float(features.count)
        }
        #expect((featureMeans.max() ?? 0) - (featureMeans.min() ?? 0) > 0.5)
    }

    @Test func betaSpreadsTheInputs() {
        func meanDistance(_ alpha: Double, _ beta: Double) -> Double {
            let clients = SyntheticFederated.generate(alpha: alpha, beta: beta, clients: 10, dimension: 20, seed: 8)
            let means = clients.map { client -> Double in
                let features = client.train.allFeatures()
                return Double(features.reduce(0, +)) / Double(features.count)
            }
            let centre = means.reduce(0, +) / Double(means.count)
            return means.reduce(0) { $0 + abs($1 - centre) } / Double(means.count)
        }
        // beta sets the spread of the clients' input centres.
        #expect(meanDistance(0, 0) < meanDistance(4, 4))
    }
}

@Suite("Synthetic clients one at a time")
struct SyntheticClientTests {
    static func features(_ data: Dataset) -> [Float] {
        var features = [Float](repeating: 0, count: data.count * data.featuresPerSample)
        var labels = [Int32](repeating: 0, count: data.count)
        data.fillBatch(indices: 0..<data.count, features: &features, labels: &labels)
        return features
    }

    @Test func aClientAloneIsItsEntryOfTheWholeFederation() {
        let all = SyntheticFederated.generate(alpha: 0.5, beta: 0.5, clients: 5, seed: 11)
        for (id, split) in all.enumerated() {
            let alone = SyntheticFederated.client(id, alpha: 0.5, beta: 0.5, seed: 11)
            #expect(alone.train.labels == split.train.labels && alone.test.labels == split.test.labels)
            #expect(Self.features(alone.train) == Self.features(split.train))
            #expect(Self.features(alone.test) == Self.features(split.test))
            #expect(SyntheticFederated.trainingSamples(of: id, seed: 11) == split.train.count)
        }
        // A client far beyond any generated federation costs one client's work.
        let far = SyntheticFederated.client(999_999, alpha: 0.5, beta: 0.5, seed: 11)
        #expect(SyntheticFederated.trainingSamples(of: 999_999, seed: 11) == far.train.count)
    }
}
