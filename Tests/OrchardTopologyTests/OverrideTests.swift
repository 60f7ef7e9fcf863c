import Foundation
import OrchardFederation
import OrchardTopology
import Testing

/// `--set KEY.PATH=VALUE`: applied to the YAML tree before it is checked, checked like the file,
/// and mistakes named after the override.
@Suite("Overrides")
struct OverrideTests {
    let loader = TopologyLoader(root: "/nonexistent-root")

    func overrides(_ arguments: String...) throws -> [TopologyOverride] {
        try arguments.map { try TopologyOverride(parsing: $0) }
    }

    /// Why `text` with the overrides `arguments` is refused; records an issue if it is not.
    func refusal(_ text: String = Fixture.minimal, _ arguments: String...) throws -> TopologyError {
        let changes = try arguments.map { try TopologyOverride(parsing: $0) }
        do {
            let plan = try loader.load(text: text, file: "t.yaml", overrides: changes)
            Issue.record("expected \(arguments) to be refused, got \(plan.summary)")
            return TopologyError([])
        } catch {
            return error
        }
    }

    @Test("an override replaces a value, and a later one wins")
    func replacesValue() throws {
        let plan = try loader.load(
            text: Fixture.minimal, file: "t.yaml", overrides: try overrides("rounds=7", "rounds=9", "groups[0].count=6")
        )
        #expect(plan.topology.rounds == 9)
        #expect(plan.topology.clientCount == 6)
    }

    @Test("a key of a section written as a shorthand scalar is set in the mapping it stands for")
    func expandsShorthand() throws {
        let text = Fixture.minimal + "\nmethod: fixed-mask\n"
        let plan = try loader.load(
            text: text, file: "t.yaml", overrides: try overrides("method.density=10%", "training.lr=0.2"))
        #expect(plan.topology.method.name == "fixed-mask")
        #expect(plan.topology.method.settings["density"] == .number(0.1))
        #expect(plan.topology.training.learningRate == 0.2)
    }

    @Test("a flow mapping replaces a whole section")
    func replacesSection() throws {
        let text = Fixture.minimal + "\nmethod: {name: fixed-mask, density: 5%, criterion: magnitude}\n"
        let plan = try loader.load(text: text, file: "t.yaml", overrides: try overrides("method={name: fedavg}"))
        #expect(plan.topology.method.name == "fedavg")
        #expect(plan.topology.method.settings.isEmpty)
    }

    @Test("a bad value is reported as the override's mistake, with its key path")
    func badValueNamesOverride() throws {
        let text = Fixture.minimal + "\nmethod: {name: fixed-mask, density: 5%}\n"
        let error = try refusal(text, "method.density=abc")
        let diagnostic = try #require(error.diagnostics.first)
        #expect(error.diagnostics.count == 1)
        #expect(diagnostic.description.hasPrefix("--set method.density=abc: method.density: "), "\(error)")
    }

    @Test("an unknown key is suggested as in a file")
    func unknownKeySuggested() throws {
        let diagnostic = try #require(try refusal(Fixture.minimal, "training.lrr=0.1").diagnostics.first)
        #expect(diagnostic.file == "--set training.lrr=0.1")
        #expect(diagnostic.path == "training.lrr")
        #expect(diagnostic.message.contains("did you mean 'lr'?"))
    }

    @Test("a path past the end of a list or through a scalar is refused")
    func unreachablePath() throws {
        for (argument, mention) in [("groups[3].count=2", "there is no [3]"), ("rounds.x=2", "not a mapping")] {
            let error = try refusal(Fixture.minimal, argument)
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first?.message.contains(mention) == true, "\(error)")
            #expect(error.diagnostics.first?.file == "--set \(argument)")
        }
    }

    @Test("malformed arguments are refused before any topology is read")
    func malformedArguments() throws {
        for argument in ["rounds", "=3", "a..b=1", "groups[x].count=1", "groups[0=1"] {
            #expect(throws: TopologyError.self, "\(argument)") { try TopologyOverride(parsing: argument) }
        }
        let unfinished = try refusal(Fixture.minimal, "rounds=[1, 2")
        #expect(unfinished.diagnostics.first?.message.contains("not valid YAML") == true)
    }

    @Test("the plan's source is the effective topology: it names the overrides and reads back to the same run")
    func recordsEffectiveSource() throws {
        let changes = try overrides("rounds=5", "groups[0].count=8")
        let plan = try loader.load(text: Fixture.minimal, file: "t.yaml", overrides: changes)
        #expect(plan.source.hasPrefix("# t.yaml with --set rounds=5 --set groups[0].count=8\n"))
        let again = try loader.load(text: Fixture.minimal, file: "t.yaml", overrides: changes)
        #expect(again.source == plan.source)
        let reread = try loader.load(text: plan.source, file: "effective.yaml")
        #expect(reread.topology.rounds == 5)
        #expect(reread.topology.clientCount == 8)
        #expect(try loader.load(text: Fixture.minimal, file: "t.yaml").source == Fixture.minimal)
    }

    @Test("merged group settings stay merged after an override elsewhere")
    func keepsMergeKeys() throws {
        let text = """
            name: merged
            rounds: 2
            dataset: {kind: synthetic-images, train_samples: 200, test_samples: 50}
            model: logreg
            groups:
              - &phone {name: a, count: 2, memory: 8MiB}
              - {<<: *phone, name: b}
            """
        let plan = try loader.load(text: text, file: "t.yaml", overrides: try overrides("groups[1].count=3"))
        #expect(plan.topology.groups.map(\.count) == [2, 3])
        #expect(plan.topology.groups.map(\.memory) == [8 << 20, 8 << 20])
        let reread = try loader.load(text: plan.source, file: "effective.yaml")
        #expect(reread.topology.groups.map(\.count) == [2, 3])
    }
}
