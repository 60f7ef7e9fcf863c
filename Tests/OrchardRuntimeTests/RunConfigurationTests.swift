import OrchardFederation
import OrchardPayload
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

    func configuration(fp16: Bool?) throws -> RunConfiguration {
        let setting = fp16.map { ", fp16: \($0)" } ?? ""
        let text = """
            name: tiny
            rounds: 1
            dataset: {kind: synthetic-images, train_samples: 200, test_samples: 50}
            model: lenet5
            method: {name: fixed-mask, density: 10%\(setting)}
            groups:
              - count: 2
            """
        return try RunConfiguration(TopologyLoader(root: "/nonexistent-root").load(text: text, file: "test.yaml"))
    }

    @Test func fp16IsTheRuntimesValuePrecisionAndNoMethodSetting() throws {
        let half = try configuration(fp16: true)
        #expect(half.setup.valuePrecision == .float16)
        #expect(half.coordinatorSettings(endpoint: "tcp://127.0.0.1:*").valuePrecision == .float16)
        #expect(half.setup.settings["fp16"] == nil)
        #expect(half.setup.settings["density"] == .number(0.1))
        #expect(try configuration(fp16: false).setup.valuePrecision == .float32)
        #expect(try configuration(fp16: nil).setup.valuePrecision == .float32)
    }
}
