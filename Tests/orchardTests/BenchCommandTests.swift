import Testing

/// `orchard bench step` end to end, on batches small enough for a debug build.
@Suite("orchard bench step", .timeLimit(.minutes(3)))
struct BenchCommandTests {
    /// A benchmark's arguments and the model and sample shape its report should name.
    struct Case: Sendable, CustomTestStringConvertible {
        let arguments: [String]
        let model: String
        let batch: Int
        let input: [Int]

        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases = [
        Case(
            arguments: ["bench", "step", "--model", "lenet5", "--batch", "8", "--steps", "2", "--json"],
            model: "lenet5", batch: 8, input: [1, 28, 28]),
        Case(
            arguments: [
                "bench", "step", "--model", "resnet8", "--batch", "4", "--steps", "2", "--input", "3x16x16",
                "--width", "0.5", "--json",
            ],
            model: "resnet8", batch: 4, input: [3, 16, 16]),
    ]

    @Test("--json prints one report with positive timings, memory and FLOPs", arguments: cases)
    func report(_ benchmark: Case) async throws {
        let outcome = try await OrchardProcess.run(benchmark.arguments)
        let report = try outcome.report()

        #expect(try report.string("model") == benchmark.model)
        #expect(try report.integer("batch") == benchmark.batch)
        #expect(try report.integer("steps") == 2)
        #expect(try report.integers("input") == benchmark.input)
        #expect(try report.number("samples_per_second") > 0)
        #expect(try report.number("step_ms_median") > 0)
        #expect(try report.integer("flops_per_step") > 0)
        let state = try report.integer("state_bytes")
        let peak = try report.integer("peak_tensor_bytes")
        #expect(state > 0)
        // The peak counts every live tensor, the parameters and optimizer state among them.
        #expect(peak >= state)
    }
}
