import OrchardTopology
import Testing

/// One run of the loader reports every mistake in the file, in file order.
@Suite("Several mistakes")
struct SeveralMistakesTests {
    static let text = """
        name: many
        rounds: -1
        sed: 3
        dataset: {kind: synthetic-images, noise: -1}
        model: {name: lenet5, widht: 2}
        training: {lr: 0, momentum: 1.5, fresh_optimizer: maybe}
        deadline: 10
        quorum: 0
        groups:
          - name: phones
            count: 0
            memory: 4Mb
            link: {up: 5Mbs, down: 20Mbps, latency: -4ms}
            compute: 2GHz
            availability: 110%
          - name: laptops
            count: 2
            speed: 20GFLOPS
          - name: boards
            count: 2
            memory: 100KiB
        """

    @Test("every mistake is reported at its own line and column")
    func everyMistake() {
        let diagnostics = Fixture.diagnostics(Self.text)
        let expected: [(path: String, marker: String)] = [
            ("rounds", "-1"), ("sed", "sed"), ("dataset.noise", "-1}"), ("model.widht", "widht"),
            ("training.lr", "0,"), ("training.momentum", "1.5"), ("training.fresh_optimizer", "maybe"),
            ("deadline", "10"), ("quorum", "quorum: |0"), ("groups[0].count", "count: |0"), ("groups[0].memory", "4Mb"),
            ("groups[0].link.up", "5Mbs"), ("groups[0].link.latency", "-4ms"), ("groups[0].compute", "2GHz"),
            ("groups[0].availability", "110%"), ("groups[1].speed", "speed"),
            ("groups[2].memory", "100KiB"),
        ]
        #expect(diagnostics.map(\.path) == expected.map(\.path), "\(diagnostics.map(\.description))")
        for (path, marker) in expected {
            let (line, column) = Fixture.position(of: marker, in: Self.text)
            Fixture.expect(diagnostics, path: path, line: line, column: column)
        }
    }

    @Test("the error's description has one line per mistake, each file:line:column: path: message")
    func description() {
        do {
            _ = try TopologyLoader(root: "/").load(text: Self.text, file: "topologies/many.yaml")
        } catch {
            let lines = error.description.split(separator: "\n")
            #expect(lines.count == error.diagnostics.count)
            #expect(lines.allSatisfy { $0.hasPrefix("topologies/many.yaml:") })
            let known =
                "name, seed, rounds, dataset, partition, model, method, aggregation, training, groups, clients_per_round, "
                + "eval_every, deadline, timeouts, quorum, checkpoint_every"
            let expected =
                "topologies/many.yaml:3:1: sed: unknown key; did you mean 'seed'? (known keys here: \(known))"
            #expect(lines.contains(Substring(expected)))
            return
        }
        Issue.record("the topology loaded")
    }
}
