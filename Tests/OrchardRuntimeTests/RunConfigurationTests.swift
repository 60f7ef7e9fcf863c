import OrchardFederation
import OrchardTopology
import Testing

@testable import OrchardRuntime

/// What the runtime hands the methods from a topology.
@Suite("Run configuration")
struct RunConfigurationTests {
    static func configuration(_ extra: String) throws -> RunConfiguration {
        let text = """
            name: tiny
            rounds: 2
            dataset: {kind: synthetic-images, train_samples: 40, test_samples: 10}
            model: logreg
            groups:
              - count: 2
            \(extra)
            """
        return try RunConfiguration(TopologyLoader(root: "/nonexistent-root").load(text: text, file: "test.yaml"))
    }

    @Test(
        arguments: [
            ("", Aggregation.mean),
            ("aggregation: median", Aggregation(rule: .median)),
            ("aggregation: {clip_norm: 5}", Aggregation(clipNorm: 5)),
            (
                "aggregation: {rule: trimmed-mean, trim: 10%, clip_norm: 0.5}",
                Aggregation(rule: .trimmedMean(trim: 0.1), clipNorm: 0.5)
            ),
        ] as [(String, Aggregation)])
    func aggregationReachesTheMethods(_ extra: String, _ expected: Aggregation) throws {
        #expect(try Self.configuration(extra).setup.aggregation == expected)
    }
}
