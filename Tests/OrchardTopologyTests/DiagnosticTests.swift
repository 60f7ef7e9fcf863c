import OrchardTopology
import Testing

/// Each kind of mistake, reported at the exact line and column where it was written, with its
/// key path and a message that says what is wrong.
@Suite("Diagnostics")
struct DiagnosticTests {
    @Test("an unknown key is placed at the key and suggests the closest known one")
    func unknownKey() {
        let diagnostics = Fixture.diagnostics(Fixture.minimal + "\nrouns: 4\n")
        Fixture.expect(diagnostics, path: "rouns", line: 7, column: 1, mentioning: ["unknown key", "'rounds'"])
        #expect(diagnostics.count == 1)
    }

    @Test("an unknown key deep in a group names its full path")
    func unknownNestedKey() {
        let text = Fixture.minimal + "\n    link: {up: 5Mbps, down: 20Mbps, latncy: 40ms}\n"
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(
            diagnostics, path: "groups[0].link.latncy", line: 7, column: 37,
            mentioning: ["did you mean 'latency'?", "known keys here: up, down, latency"])
    }

    @Test("a key written outside its section says where it belongs")
    func keyOutsideItsSection() {
        let diagnostics = Fixture.diagnostics(Fixture.minimal + "\n    up: 5Mbps\nepochs: 2\n")
        Fixture.expect(diagnostics, path: "groups[0].up", line: 7, column: 5, mentioning: ["belongs under link:"])
        Fixture.expect(diagnostics, path: "epochs", line: 8, column: 1, mentioning: ["belongs under training:"])
    }

    @Test("a key that belongs to another kind says which")
    func misplacedKey() {
        let text = Fixture.minimal.replacingOccurrences(of: "test_samples: 50}", with: "test_samples: 50, alpha: 1}")
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(
            diagnostics, path: "dataset.alpha", line: 3, column: 73,
            mentioning: ["applies to kind synthetic, not to synthetic-images"])
    }

    @Test(
        "a value of the wrong type says what was expected and what was found",
        arguments: [
            ("rounds: ten", "rounds", 2, 9, ["expected a whole number, got 'ten'"]),
            ("rounds: \"3\"", "rounds", 2, 9, ["expected a whole number", "the quoted text \"3\""]),
            ("rounds: 2.5", "rounds", 2, 9, ["expected a whole number, got '2.5'"]),
            ("rounds: [3]", "rounds", 2, 9, ["expected a whole number, got a list"]),
            ("rounds:", "rounds", 2, 8, ["expected a whole number, got nothing"]),
            ("seed: -1", "seed", 2, 7, ["from 0 to 18446744073709551615"]),
            ("quorum: {a: 1}", "quorum", 2, 9, ["expected a fraction", "got a mapping"]),
        ] as [(String, String, Int, Int, [String])])
    func wrongType(_ line: String, _ path: String, _ row: Int, _ column: Int, _ mentions: [String]) {
        // The line under test takes line 2, before `rounds` unless it is `rounds` itself.
        let replacement = line.hasPrefix("rounds") ? line : line + "\nrounds: 3"
        let text = Fixture.minimal.replacingOccurrences(of: "rounds: 3", with: replacement)
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(diagnostics, path: path, line: row, column: column, mentioning: mentions)
    }

    @Test("a section of the wrong shape is placed at its value")
    func wrongSectionType() {
        let text = Fixture.minimal.replacingOccurrences(of: "groups:\n  - count: 4", with: "groups: {count: 4}")
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(diagnostics, path: "groups", line: 5, column: 9, mentioning: ["expected a list of groups"])
    }

    @Test("a missing required key is placed at the start of its mapping")
    func missingKeys() {
        let text = """
            rounds: 3
            dataset: synthetic
            groups:
              - name: a
                memory: 1MB
            """
        let diagnostics = Fixture.diagnostics(text)
        let top = diagnostics.filter { $0.path.isEmpty }
        #expect(top.map(\.message).sorted() == ["missing required key 'model'", "missing required key 'name'"])
        #expect(top.allSatisfy { ($0.line, $0.column) == (1, 1) })
        #expect(
            diagnostics.filter { $0.path == "dataset" }.map(\.message).sorted() == [
                "missing required key 'alpha'", "missing required key 'beta'",
            ])
        #expect(diagnostics.filter { $0.path == "dataset" }.allSatisfy { ($0.line, $0.column) == (2, 10) })
        Fixture.expect(diagnostics, path: "groups[0]", line: 4, column: 5, mentioning: ["missing required key 'count'"])
    }

    @Test("negative and zero counts are refused where they are written")
    func negativeCounts() {
        let text = """
            name: counts
            rounds: 0
            dataset: {kind: synthetic-images, train_samples: -5}
            model: logreg
            training: {epochs: 0, batch: -32}
            groups:
              - count: -3
              - count: 0
            """
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(diagnostics, path: "rounds", line: 2, column: 9, mentioning: ["must be at least 1, got 0"])
        Fixture.expect(diagnostics, path: "dataset.train_samples", line: 3, column: 50, mentioning: ["got -5"])
        Fixture.expect(diagnostics, path: "training.epochs", line: 5, column: 20, mentioning: ["at least 1, got 0"])
        Fixture.expect(diagnostics, path: "training.batch", line: 5, column: 30, mentioning: ["got -32"])
        Fixture.expect(diagnostics, path: "groups[0].count", line: 7, column: 12, mentioning: ["got -3"])
        Fixture.expect(diagnostics, path: "groups[1].count", line: 8, column: 12, mentioning: ["got 0"])
        #expect(diagnostics.count == 6)
    }

    @Test(
        "values out of range say the range",
        arguments: [
            ("availability: 1.5", "groups[0].availability", ["(0, 1]", "got 1.5"]),
            ("availability: 0%", "groups[0].availability", ["(0, 1]", "got 0%"]),
            ("memory: 0B", "groups[0].memory", ["more than zero", "got 0B"]),
            ("memory: -4MB", "groups[0].memory", ["more than zero"]),
            ("compute: -2GFLOPS", "groups[0].compute", ["more than zero"]),
        ])
    func outOfRange(_ setting: String, _ path: String, _ mentions: [String]) {
        let text = Fixture.minimal + "\n    " + setting + "\n"
        let diagnostics = Fixture.diagnostics(text)
        let column = setting.distance(from: setting.startIndex, to: setting.firstIndex(of: " ")!) + 6
        Fixture.expect(diagnostics, path: path, line: 7, column: column, mentioning: mentions)
    }

    @Test("a group may have at most ten million clients")
    func hugeGroup() {
        let text = Fixture.minimal.replacingOccurrences(of: "count: 4", with: "count: 10_000_001")
        Fixture.expect(
            Fixture.diagnostics(text), path: "groups[0].count", line: 6, column: 12,
            mentioning: ["must be at most 10,000,000, got 10_000_001"])
    }

    @Test("a run may have at most ten million clients over all its groups")
    func tooManyClients() {
        let groups = "count: 6_000_000\n  - count: 5_000_000"
        let diagnostics = Fixture.diagnostics(Fixture.minimal.replacingOccurrences(of: "count: 4", with: groups))
        #expect(
            diagnostics.contains {
                $0.path == "groups" && $0.message.contains("11000000 clients in all, more than the 10000000")
            }, "\(diagnostics)")
        let fits = "count: 6_000_000\n  - count: 4_000_000"
        let accepted = Fixture.diagnostics(Fixture.minimal.replacingOccurrences(of: "count: 4", with: fits))
        #expect(!accepted.contains { $0.message.contains("a run may have") }, "\(accepted)")
    }

    @Test("bad units are named with the key path, the value and examples")
    func badUnits() throws {
        let text = Fixture.minimal + "\n    link: {up: 5Mbs, down: 20Mbps, latency: 40}\n    memory: 4Mb\n"
        let diagnostics = Fixture.diagnostics(text)
        let up = try #require(
            Fixture.expect(
                diagnostics, path: "groups[0].link.up", line: 7, column: 16,
                mentioning: ["'5Mbs' is not a bit rate", "did you mean 5Mbps?", "expected e.g. 5Mbps, 100kbps, 1Gbps"]))
        #expect(up.description.hasPrefix("test.yaml:7:16: groups[0].link.up: '5Mbs' is not a bit rate"))
        Fixture.expect(diagnostics, path: "groups[0].link.latency", line: 7, column: 45, mentioning: ["no unit"])
        Fixture.expect(diagnostics, path: "groups[0].memory", line: 8, column: 13, mentioning: ["megabits", "4MB"])
    }

    @Test("clients per round beyond the clients there are, and evaluation beyond the last round")
    func crossChecks() {
        let text = Fixture.minimal + "\nclients_per_round: 9\neval_every: 4\n"
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(
            diagnostics, path: "clients_per_round", line: 7, column: 20, mentioning: ["9 clients per round", "only 4"])
        Fixture.expect(diagnostics, path: "eval_every", line: 8, column: 13, mentioning: ["never evaluate"])
    }

    @Test("a heartbeat as long as the task timeout is refused at the heartbeat")
    func heartbeat() {
        let diagnostics = Fixture.diagnostics(Fixture.minimal + "\ntimeouts: {task: 5s, heartbeat: 5s}\n")
        Fixture.expect(diagnostics, path: "timeouts.heartbeat", line: 7, column: 33, mentioning: ["shorter"])
    }

    @Test("a liveness below two heartbeats is refused where it is written")
    func liveness() {
        let diagnostics = Fixture.diagnostics(Fixture.minimal + "\ntimeouts: {task: 5s, heartbeat: 1s, liveness: 1}\n")
        Fixture.expect(diagnostics, path: "timeouts.liveness", line: 7, column: 47, mentioning: ["2"])
    }

    @Test("unknown names suggest the closest one and list the rest")
    func unknownNames() {
        let text = """
            name: names
            rounds: 3
            dataset: {kind: mnsit}
            partition: dirichet
            model: {name: lenet}
            method: fedav
            groups: [{count: 2}]
            """
        let diagnostics = Fixture.diagnostics(text)
        Fixture.expect(diagnostics, path: "dataset.kind", line: 3, column: 17, mentioning: ["'mnsit'", "'mnist'"])
        Fixture.expect(diagnostics, path: "partition.kind", line: 4, column: 12, mentioning: ["'dirichlet'"])
        Fixture.expect(diagnostics, path: "model.name", line: 5, column: 15, mentioning: ["'lenet5'", "resnet18"])
        Fixture.expect(diagnostics, path: "method.name", line: 6, column: 9, mentioning: ["'fedavg'"])
        #expect(diagnostics.count == 4)
    }

    @Test("a model that cannot take the data's samples, and a width on a model without one")
    func modelMismatch() {
        let synthetic =
            "name: m\nrounds: 1\ndataset: {kind: synthetic, alpha: 0, beta: 0}\nmodel: lenet5\ngroups: [{count: 2}]"
        Fixture.expect(
            Fixture.diagnostics(synthetic), path: "model.name", line: 4, column: 8,
            mentioning: ["lenet5 cannot take Synthetic(0, 0) samples of shape 60", "image samples"])
        let widened = Fixture.minimal.replacingOccurrences(of: "model: logreg", with: "model: {name: mlp, width: 2}")
        Fixture.expect(
            Fixture.diagnostics(widened), path: "model.width", line: 4, column: 27, mentioning: ["fixed width"])
    }

    @Test("a partition that does not fit the data")
    func partitionMismatch() {
        let synthetic = """
            name: p
            rounds: 1
            dataset: {kind: synthetic, alpha: 1, beta: 1}
            partition: {kind: dirichlet, alpha: 0.5}
            model: logreg
            groups: [{count: 2}]
            """
        Fixture.expect(
            Fixture.diagnostics(synthetic), path: "partition.kind", line: 4, column: 19,
            mentioning: ["generated per client", "'natural'"])
        let natural = Fixture.minimal + "\npartition: natural\n"
        Fixture.expect(
            Fixture.diagnostics(natural), path: "partition.kind", line: 7, column: 12, mentioning: ["only per-client"])
        let greedy = Fixture.minimal + "\npartition: {kind: dirichlet, minimum: 60}\n"
        Fixture.expect(
            Fixture.diagnostics(greedy), path: "partition.minimum", line: 7, column: 39,
            mentioning: ["4 clients with at least 60 samples each need 240", "200 training samples"])
        let huge = Fixture.minimal + "\npartition: {kind: quantity-skew, minimum: 9_000_000_000_000_000_000}\n"
        Fixture.expect(
            Fixture.diagnostics(huge), path: "partition.minimum", line: 7, column: 43,
            mentioning: ["need more samples"])
        let tooMany = Fixture.minimal.replacingOccurrences(of: "count: 4", with: "count: 201")
        Fixture.expect(
            Fixture.diagnostics(tooMany), path: "groups", line: 6, column: 3,
            mentioning: ["201 clients but only 200 training samples"])
    }

    @Test("two groups with one name")
    func duplicateGroupNames() {
        let text =
            "name: d\nrounds: 1\ndataset: synthetic-images\nmodel: logreg\ngroups:\n"
            + "  - {name: phones, count: 2}\n  - {name: phones, count: 3}\n"
        Fixture.expect(
            Fixture.diagnostics(text), path: "groups[1].name", line: 7, column: 12,
            mentioning: ["'phones' is already used by groups[0]"])
    }

    @Test("YAML that cannot be parsed is reported where libyaml stopped")
    func syntaxError() {
        let diagnostics = Fixture.diagnostics("name: x\nrounds: 3\n  dataset: mnist\n")
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.description.hasPrefix("test.yaml:3:10: not valid YAML: ") == true)
    }

    @Test("a key written twice, an empty file, and a document that is not a mapping")
    func documentShape() {
        let duplicate = Fixture.diagnostics(Fixture.minimal + "\nname: again\n")
        #expect(duplicate.map(\.line) == [1])
        #expect(duplicate.first?.message.contains("'name' is written more than once") == true)
        let empty = Fixture.diagnostics("# nothing but a comment\n")
        #expect(
            empty.map(\.message) == ["the topology is empty; it needs at least name, rounds, dataset, model and groups"]
        )
        let list = Fixture.diagnostics("- a\n- b\n")
        #expect(
            list.map(\.description) == [
                "test.yaml:1:1: expected a mapping of keys such as name, rounds, dataset, model and groups, got a list"
            ])
    }

    @Test("an empty list of groups")
    func noGroups() {
        let text = Fixture.minimal.replacingOccurrences(of: "groups:\n  - count: 4", with: "groups: []")
        Fixture.expect(
            Fixture.diagnostics(text), path: "groups", line: 5, column: 9, mentioning: ["at least one group"])
    }

    @Test("a file that does not exist is named without a position")
    func missingFile() {
        do {
            _ = try TopologyLoader(root: "/").load(file: "/nonexistent/topology.yaml")
            Issue.record("loaded a file that does not exist")
        } catch {
            #expect(error.description == "/nonexistent/topology.yaml: no such file")
        }
    }
}
