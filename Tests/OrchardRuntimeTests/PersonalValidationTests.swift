import OrchardFederation
import OrchardPayload
import OrchardTensor
import OrchardWire
import Testing

@testable import OrchardRuntime

/// Results of a personalized contract: the held-out figures are required, the accuracy a
/// fraction, the samples a count within the client's shard; other contracts leave them alone.
@Suite("personalized result validation")
struct PersonalValidationTests {
    static func expectation(_ contract: ResultContract) -> ResultValidation.Expectation {
        ResultValidation.Expectation(
            runID: 1, round: 3, client: 2, kind: .train, contract: contract, shardSize: 50, maxMagnitude: 1e6)
    }

    static let valid: [String: Double] = [
        "samples": 40, "personal_accuracy": 0.7, "personal_loss": 0.9, "personal_samples": 10,
    ]

    /// The reason `metrics` are rejected under a personalized contract, or nil when accepted.
    static func rejection(_ metrics: [String: Double], contract: ResultContract = ResultContract().personalized)
        -> String?
    {
        do {
            try ResultValidation.checkMetrics(metrics, status: .ok, expectation(contract))
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func validFiguresPass() {
        #expect(Self.rejection(Self.valid) == nil)
        #expect(Self.rejection(Self.valid.merging(["personal_accuracy": 0, "personal_samples": 50]) { $1 }) == nil)
    }

    @Test func eachBrokenFigureIsRejectedByName() {
        let cases: [(String, Double?, String)] = [
            ("personal_accuracy", nil, "lacks figure 'personal_accuracy'"),
            ("personal_samples", nil, "lacks figure 'personal_samples'"),
            ("personal_loss", nil, "lacks figure 'personal_loss'"),
            ("personal_accuracy", 1.5, "'personal_accuracy' is 1.5, outside [0, 1]"),
            ("personal_accuracy", -0.1, "'personal_accuracy' is -0.1, outside [0, 1]"),
            ("personal_accuracy", .nan, "'personal_accuracy' is nan"),
            ("personal_samples", 2.5, "'personal_samples' is 2.5, not a count"),
            ("personal_samples", 0, "reports 0.0 as 'personal_samples'"),
            ("personal_samples", 51, "reports 51.0 as 'personal_samples'; client 2 has 50 samples"),
            ("personal_loss", -1, "'personal_loss' is negative"),
            ("personal_loss", .infinity, "'personal_loss' is inf"),
        ]
        for (name, value, words) in cases {
            var metrics = Self.valid
            metrics[name] = value
            let reason = Self.rejection(metrics)
            #expect(reason?.contains(words) == true, "\(name) = \(String(describing: value)): \(reason ?? "accepted")")
        }
    }

    @Test func aContractThatDoesNotOptInNeitherRequiresNorBoundsThem() {
        #expect(Self.rejection(["samples": 40], contract: ResultContract()) == nil)
        #expect(Self.rejection(["samples": 40, "personal_accuracy": 3], contract: ResultContract()) == nil)
        // The training accuracy stays a fraction for every contract.
        #expect(Self.rejection(["samples": 40, "accuracy": 1.2], contract: ResultContract()) != nil)
    }

    @Test func theCoordinatorRecordsTheEvaluationOfAValidatedResult() {
        let result = ClientResult(client: 2, round: 3, kind: .train, metrics: Self.valid)
        let record = Coordinator.evaluation(result)
        #expect(record?.clientID == 2 && record?.round == 3 && record?.samples == 10)
        #expect(record?.accuracy == 0.7 && record?.loss == 0.9)
        #expect(Coordinator.evaluation(ClientResult(client: 2, round: 3, kind: .train)) == nil)
    }

    @Test func aPrunableWeightMayShrinkUnderTheMaskSentButNeverGrow() throws {
        func check(_ payload: TensorPayload, kept: [Int32]?) -> String? {
            do {
                try ResultValidation.check(
                    NamedTensor(name: "w", payload: payload), against: .pruning(shape: [2, 3], kept: kept))
                return nil
            } catch {
                return "\(error)"
            }
        }
        let values = { (count: Int) in Tensor(shape: [count], values: [Float](repeating: 1, count: count), role: .data)
        }
        // Under the mask [1, 3, 4]: its three values alone, or a subset of its positions.
        #expect(check(.dense(values(3)), kept: [1, 3, 4]) == nil)
        #expect(check(.sparse(shape: [2, 3], indices: [1, 4], values: [1, 1]), kept: [1, 3, 4]) == nil)
        #expect(
            check(.sparse(shape: [2, 3], indices: [1, 2], values: [1, 1]), kept: [1, 3, 4])?.contains(
                "keeps position 2, which the mask sent pruned") == true)
        #expect(check(.dense(values(4)), kept: [1, 3, 4])?.contains("the task sent 3 kept values") == true)
        #expect(check(.sparse(shape: [3, 2], indices: [1], values: [1]), kept: [1, 3, 4])?.contains("shape") == true)
        // Sent dense: the whole shape, or any positions of it.
        #expect(check(.dense(Tensor(zeros: [2, 3], role: .data)), kept: nil) == nil)
        #expect(check(.sparse(shape: [2, 3], indices: [0, 5], values: [1, 1]), kept: nil) == nil)
        #expect(
            check(.sparse(shape: [2, 3], indices: [5, 0], values: [1, 1]), kept: nil)?.contains("out of order") == true)
        #expect(check(.mask(shape: [2, 3], indices: [0]), kept: nil)?.contains("is a mask") == true)
    }
}
