import OrchardPayload
import OrchardTopology
import Testing

@testable import OrchardRuntime

/// What the runtime takes from a topology before any method sees it.
@Suite("Run configuration")
struct RunConfigurationTests {
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
        #expect(half.setup.settings["fp16"] == nil)
        #expect(half.setup.settings["density"] == 0.1)
        #expect(try configuration(fp16: false).setup.valuePrecision == .float32)
        #expect(try configuration(fp16: nil).setup.valuePrecision == .float32)
    }
}
