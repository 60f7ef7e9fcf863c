import OrchardTopology
import Testing

/// `aggregation:`: its defaults, its forms, and every mistake at its line and column.
@Suite("Aggregation")
struct AggregationTests {
    @Test("without aggregation: the weighted mean, no clipping")
    func defaults() throws {
        let plan = try Fixture.plan(Fixture.minimal)
        #expect(plan.topology.aggregation == AggregationSpec(rule: .mean, trim: 0, clipNorm: nil))
        #expect(plan.topology.aggregation.isDefault)
        #expect(!plan.summary.contains("aggregates"))
    }

    @Test(
        "the rule, its trim and the clip are read",
        arguments: [
            ("aggregation: median", AggregationSpec(rule: .median)),
            ("aggregation: {rule: mean, clip_norm: 5.0}", AggregationSpec(clipNorm: 5)),
            ("aggregation: {clip_norm: 2e-1}", AggregationSpec(clipNorm: 0.2)),
            ("aggregation: {rule: trimmed-mean, trim: 10%}", AggregationSpec(rule: .trimmedMean, trim: 0.1)),
            ("aggregation: {rule: trimmed-mean, trim: 0}", AggregationSpec(rule: .trimmedMean, trim: 0)),
            (
                "aggregation:\n  rule: trimmed-mean\n  trim: 0.25\n  clip_norm: 3",
                AggregationSpec(rule: .trimmedMean, trim: 0.25, clipNorm: 3)
            ),
            ("aggregation: {rule: median, clip_norm: null}", AggregationSpec(rule: .median)),
        ] as [(String, AggregationSpec)])
    func readsTheSetting(_ line: String, _ expected: AggregationSpec) throws {
        let plan = try Fixture.plan(Fixture.minimal + "\n" + line + "\n")
        #expect(plan.topology.aggregation == expected)
    }

    @Test("the summary names a robust rule")
    func summary() throws {
        let plan = try Fixture.plan(Fixture.minimal + "\naggregation: {rule: trimmed-mean, trim: 10%, clip_norm: 5}\n")
        #expect(plan.summary.contains("aggregates by trimmed-mean 10%, clip_norm 5 instead of the weighted mean"))
    }

    @Test(
        "a bad value is placed where it was written",
        arguments: [
            (
                "aggregation: {rule: medain}", "aggregation.rule", "rule: |medain",
                ["did you mean 'median'?", "mean, median, trimmed-mean"]
            ),
            (
                "aggregation: trimmed", "aggregation.rule", "aggregation: |trimmed",
                ["unknown aggregation rule 'trimmed'"]
            ),
            ("aggregation: {rule: trimmed-mean, trim: 50%}", "aggregation.trim", "trim: |50%", ["[0, 0.5)"]),
            ("aggregation: {rule: trimmed-mean, trim: 0.7}", "aggregation.trim", "trim: |0.7", ["less than 50%"]),
            ("aggregation: {rule: trimmed-mean, trim: -1%}", "aggregation.trim", "trim: |-1%", ["at least 0%"]),
            ("aggregation: {rule: trimmed-mean, trim: 10}", "aggregation.trim", "trim: |10}", ["[0, 0.5)"]),
            ("aggregation: {rule: trimmed-mean, trim: ten}", "aggregation.trim", "trim: |ten", ["not a fraction"]),
            (
                "aggregation: {rule: median, trim: 10%}", "aggregation.trim", "trim: |10%",
                ["only to rule trimmed-mean", "median"]
            ),
            ("aggregation: {trim: 10%}", "aggregation.trim", "trim: |10%", ["write rule: trimmed-mean"]),
            (
                "aggregation: {rule: trimmed-mean}", "aggregation.trim", "aggregation: |{rule",
                ["needs trim", "trim: 10%"]
            ),
            ("aggregation: {clip_norm: 0}", "aggregation.clip_norm", "clip_norm: |0}", ["more than zero"]),
            ("aggregation: {clip_norm: -5}", "aggregation.clip_norm", "clip_norm: |-5", ["more than zero"]),
            (
                "aggregation: {clip_norm: \"5\"}", "aggregation.clip_norm", "clip_norm: |\"5\"",
                ["expected a number", "quoted"]
            ),
            ("aggregation: {clip_norm: 1e999}", "aggregation.clip_norm", "clip_norm: |1e999", ["expected a number"]),
            (
                "aggregation: {rule: median, clipnorm: 5}", "aggregation.clipnorm", "|clipnorm",
                ["did you mean 'clip_norm'?"]
            ),
            ("aggregation: [median]", "aggregation", "aggregation: |[median]", ["expected a mapping", "got a list"]),
            ("clip_norm: 5", "clip_norm", "|clip_norm", ["belongs under aggregation:"]),
        ] as [(String, String, String, [String])])
    func badValue(_ line: String, _ path: String, _ marker: String, _ mentions: [String]) {
        let text = Fixture.minimal + "\n" + line + "\n"
        let diagnostics = Fixture.diagnostics(text)
        let (row, column) = Fixture.position(of: marker, in: text)
        Fixture.expect(diagnostics, path: path, line: row, column: column, mentioning: mentions)
        #expect(diagnostics.count == 1, "\(diagnostics)")
    }

    @Test("every mistake of the section is reported at once")
    func severalMistakes() {
        let text = Fixture.minimal + "\naggregation:\n  rule: median\n  trim: 60%\n  clip_norm: 0\n"
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(diagnostics, path: "aggregation.trim", line: 9, column: 9, mentioning: ["[0, 0.5)"])
        Fixture.expect(diagnostics, path: "aggregation.clip_norm", line: 10, column: 14, mentioning: ["more than zero"])
        #expect(diagnostics.count == 2)
    }
}
