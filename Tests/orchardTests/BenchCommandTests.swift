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
        Case(
            arguments: [
                "bench", "step", "--model", "lenet5", "--batch", "4", "--steps", "2", "--density", "0.5",
                "--distribution", "er", "--json",
            ],
            model: "lenet5", batch: 4, input: [1, 28, 28]),
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

/// `orchard bench aggregate` end to end, on a model small enough for a debug build.
@Suite("orchard bench aggregate")
struct BenchAggregateTests {
    @Test("--json times every rule, dense and masked, and sizes the gathered values", arguments: [1.0, 0.5])
    func report(density: Double) async throws {
        let outcome = try await OrchardProcess.run([
            "bench", "aggregate", "--model", "logreg", "--clients", "3", "--repeats", "1", "--density",
            "\(density)", "--json",
        ])
        let report = try outcome.report()
        #expect(try report.string("model") == "logreg")
        #expect(try report.integer("clients") == 3)
        // logreg on 1x28x28: a 10x784 weight and 10 biases.
        #expect(try report.integer("largest_tensor") == 7840)
        // The weight's values the clients hold: all of them, or those the random mask keeps.
        let held = try report.integer("values") - 10
        #expect(density < 1 ? held > 0 && held < 7840 : held == 7840)
        // Three clients' values of the weight, and two offsets per position and one more.
        #expect(try report.integer("gathered_bytes") == held * 3 * 4 + 2 * 7841 * 8)
        let timings = try report.objects("timings")
        #expect(
            try timings.map { try $0.string("rule") } == [
                "mean", "median", "trimmed-mean 10%", "mean, clipped", "median, clipped",
            ])
        for timing in timings { #expect(try timing.number("milliseconds_median") > 0) }
    }
}
