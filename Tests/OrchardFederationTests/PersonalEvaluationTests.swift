import OrchardData
import OrchardNN
import OrchardTensor
import Testing

@testable import OrchardFederation

@Suite("personal evaluation")
struct PersonalEvaluationTests {
    /// Ten one-feature samples whose feature is their position, so a subset names its samples.
    static let shard = Dataset(
        name: "tiny", sampleShape: [1], classCount: 2, labels: (0..<10).map { Int32($0 % 2) },
        floats: (0..<10).map(Float.init))

    static func features(_ data: Dataset) -> [Float] {
        var features = [Float](repeating: 0, count: data.count)
        var labels = [Int32](repeating: 0, count: data.count)
        features.withUnsafeMutableBufferPointer { features in
            labels.withUnsafeMutableBufferPointer { labels in
                data.fillBatch(indices: 0..<data.count, features: features.baseAddress!, labels: labels.baseAddress!)
            }
        }
        return features
    }

    @Test func theSplitHoldsOutTheFloorOfTheFractionDisjointlyAndTheSameEveryTime() throws {
        let split = try PersonalSplit(Self.shard, fraction: 0.25, seed: 7, client: 3)
        // ⌊10 · 0.25⌋ = 2 held out, 8 left to train on.
        #expect(split.heldOut.count == 2 && split.train.count == 8)
        let held = Self.features(split.heldOut)
        let trained = Self.features(split.train)
        #expect(Set(held).isDisjoint(with: trained) && Set(held + trained) == Set((0..<10).map(Float.init)))
        let again = try PersonalSplit(Self.shard, fraction: 0.25, seed: 7, client: 3)
        #expect(Self.features(again.heldOut) == held)
        let indices = try PersonalSplit.heldOutIndices(count: 10, fraction: 0.25, seed: 7, client: 3)
        #expect(indices.map(Float.init) == held)
        // Another client of the same seed draws from its own stream.
        let others = (0..<8).map { try? PersonalSplit.heldOutIndices(count: 10, fraction: 0.25, seed: 7, client: $0) }
        #expect(Set(others.compactMap { $0 }).count > 1)
    }

    @Test func theSplitKeepsOneSampleOnEachSide() throws {
        #expect(try PersonalSplit.heldOutIndices(count: 2, fraction: 0.01, seed: 1, client: 0).count == 1)
        #expect(try PersonalSplit.heldOutIndices(count: 3, fraction: 0.99, seed: 1, client: 0).count == 2)
        #expect(throws: FederationError.self) {
            try PersonalSplit.heldOutIndices(count: 1, fraction: 0.5, seed: 1, client: 0)
        }
        for fraction in [0, 1, -0.5, Double.nan] {
            #expect(throws: FederationError.self) {
                try PersonalSplit.heldOutIndices(count: 10, fraction: fraction, seed: 1, client: 0)
            }
        }
    }

    @Test func theEvaluationCountsTheHeldOutSamplesAndTheirAccuracy() throws {
        // Logistic regression whose logits are (0, x): class 1 for x > 0.
        let network = try ModelZoo.make("logreg", sampleShape: [1], classes: 2, seed: 1)
        for named in network.parameters {
            let values: [Float] = named.name.hasSuffix("weight") ? [0, 1] : [0, 0]
            values.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
        let heldOut = Dataset(
            name: "held", sampleShape: [1], classCount: 2, labels: [1, 1, 0, 0], floats: [1, 2, 3, -1])
        let figures = PersonalEvaluation.evaluate(network, on: heldOut, batch: 3)
        // Predictions 1, 1, 1, 0: three of four right. Losses log(1 + e^-1), log(1 + e^-2),
        // log(1 + e^3), log(1 + e^-1): 0.31326 + 0.12693 + 3.04859 + 0.31326 = 3.80204, mean 0.95051.
        #expect(figures["personal_accuracy"] == 0.75)
        #expect(figures["personal_samples"] == 4)
        #expect(abs((figures["personal_loss"] ?? 0) - 0.95051) < 1e-4)
    }

    @Test func thePersonalizedContractAsksForTheThreeFigures() {
        let contract = ResultContract().personalized
        #expect(contract.isPersonalized && !ResultContract().isPersonalized)
        #expect(contract.requiredMetrics == ["samples", "personal_accuracy", "personal_loss", "personal_samples"])
        #expect(contract.shardCounts == ["samples", "personal_samples"])
        #expect(contract.fractionMetrics == ["accuracy", "personal_accuracy"])
        #expect(contract.countMetrics.contains("personal_samples"))
    }
}
