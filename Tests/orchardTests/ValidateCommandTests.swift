import Foundation
import OrchardTestSupport
import Testing

/// `orchard validate`: every mistake on stderr with its line and column and a failing exit status,
/// or a summary and success.
@Suite("orchard validate", .timeLimit(.minutes(3)))
struct ValidateCommandTests {
    /// The package root: this file is Tests/orchardTests/ValidateCommandTests.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static let badTopology = """
        name: bad
        rounds: 0
        seeed: 4
        dataset: mnist
        model: lenet5
        groups:
          - name: phones
            count: 10
            memory: 64KiB
            link: {up: 5Mbs, down: 20Mbps, latency: 40ms}
        clients_per_round: 11
        """

    @Test("a bad topology: each mistake on its own line of stderr with file:line:column, exit status 1")
    func badTopology() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write("bad.yaml", Array(Self.badTopology.utf8))
        let outcome = try await OrchardProcess.run(["validate", file, "--root", folder.path])
        #expect(outcome.exitedNormally && outcome.status == 1, "\(outcome)")
        #expect(outcome.standardOutput.isEmpty, "\(outcome)")
        let lines = outcome.errorLines
        let expected = [
            "\(file):2:9: rounds: must be at least 1, got 0",
            "\(file):3:1: seeed: unknown key; did you mean 'seed'?",
            "\(file):4:10: dataset.kind: data folder data/mnist (\(folder.path)/data/mnist",
            "\(file):9:13: groups[0].memory: memory budget 64KiB is too small for lenet5",
            "\(file):10:16: groups[0].link.up: '5Mbs' is not a bit rate; did you mean 5Mbps?",
            "\(file):11:20: clients_per_round: 11 clients per round, but the groups have only 10",
            "orchard validate: 6 mistakes in \(file)",
        ]
        #expect(lines.count == expected.count, "\(outcome)")
        for (line, start) in zip(lines, expected) {
            #expect(line.hasPrefix(start), "expected a line starting \"\(start)\" in \(outcome)")
        }
    }

    @Test("--json on a bad topology prints the diagnostics as one JSON object")
    func badTopologyJSON() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write("bad.yaml", Array(Self.badTopology.utf8))
        let outcome = try await OrchardProcess.run(["validate", file, "--root", folder.path, "--json"])
        #expect(outcome.status == 1, "\(outcome)")
        let report = try JSONReport(parsing: outcome.standardOutput.trimmingCharacters(in: .newlines))
        #expect(report.fields["valid"] as? Bool == false)
        let diagnostics = try report.objects("diagnostics")
        #expect(diagnostics.count == 6)
        let first = try #require(diagnostics.first)
        #expect(try first.string("path") == "rounds")
        #expect(try first.integer("line") == 2)
        #expect(try first.integer("column") == 9)
        #expect(try first.string("file") == file)
    }

    @Test("the quickstart validates: exit 0 and a summary on stdout")
    func quickstart() async throws {
        let outcome = try await OrchardProcess.run([
            "validate", Self.packageRoot + "/topologies/quickstart.yaml", "--root", Self.packageRoot,
        ])
        #expect(outcome.exitedNormally && outcome.status == 0, "\(outcome)")
        #expect(outcome.standardError.isEmpty, "\(outcome)")
        #expect(outcome.standardOutput.hasPrefix("quickstart: 20 rounds of fedavg with 6 of 12 clients per round"))
        #expect(outcome.standardOutput.contains("Synthetic(0.5, 0.5)"))
        // The 512 KiB sensors hold the training floor but not one batch of 32: a note, not a mistake.
        let notes = outcome.standardOutput.split(separator: "\n").filter { $0.hasPrefix("note: ") }
        #expect(notes.count == 1)
        #expect(notes.first?.hasPrefix("note: groups[2] (sensors): memory budget 512KiB is below the ") == true)
    }

    @Test("--json on a valid topology gives its clients by group and the model's size")
    func quickstartJSON() async throws {
        let outcome = try await OrchardProcess.run([
            "validate", Self.packageRoot + "/topologies/quickstart.yaml", "--root", Self.packageRoot, "--json",
        ])
        let report = try outcome.report()
        #expect(report.fields["valid"] as? Bool == true)
        #expect(try report.string("name") == "quickstart")
        #expect(try report.integer("clients") == 12)
        #expect(try report.integer("trainable_parameters") == 49_410)
        let groups = try report.objects("groups")
        #expect(try groups.map { try $0.integer("count") } == [6, 3, 3])
        #expect(try groups.map { try $0.integer("first_client") } == [0, 6, 9])
        #expect(try groups.map { try $0.integer("memory_bytes") } == [4 << 20, 64 << 20, 512 << 10])
        let notes = try #require(report.fields["notes"] as? [String])
        #expect(notes.count == 1 && notes[0].hasPrefix("groups[2] (sensors)"))
    }

    @Test("an MNIST topology validates against a root that holds the four files")
    func mnistWithFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.file("data/mnist"), withIntermediateDirectories: true)
        let images = IDXBytes.images(count: 3, rows: 28, columns: 28, pixelBytes: 3 * 28 * 28)
        try folder.write("data/mnist/train-images-idx3-ubyte", images)
        try folder.write("data/mnist/train-labels-idx1-ubyte", IDXBytes.labels(count: 3))
        try folder.write("data/mnist/t10k-images-idx3-ubyte", images)
        try folder.write("data/mnist/t10k-labels-idx1-ubyte", IDXBytes.labels(count: 3))
        let outcome = try await OrchardProcess.run([
            "validate", Self.packageRoot + "/topologies/mnist-fedavg-10.yaml", "--root", folder.path,
        ])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.standardOutput.contains("MNIST from data/mnist"))
    }

    @Test("a file that is not UTF-8 is placed at its first bad byte, in text and in --json")
    func notUTF8() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let file = try folder.write("latin1.yaml", Array("name: t\nrounds: 2\n# caf".utf8) + [0xE9] + [0x0A])
        let outcome = try await OrchardProcess.run(["validate", file])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(
            outcome.errorLines.first?.hasPrefix("\(file):3:6: not UTF-8 text: byte 23 (0xE9)") == true, "\(outcome)")
        let json = try await OrchardProcess.run(["validate", file, "--json"])
        let report = try JSONReport(parsing: json.standardOutput.trimmingCharacters(in: .newlines))
        let diagnostic = try #require(try report.objects("diagnostics").first)
        #expect(try diagnostic.integer("line") == 3)
        #expect(try diagnostic.integer("column") == 6)
    }

    @Test("a flood of unknown keys shows the first 50 and counts the rest, in text and in --json")
    func flood() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let keys = (0..<2_000).map { "unknown_key_\($0): 1\n" }.joined()
        let file = try folder.write("flood.yaml", Array(keys.utf8))
        let outcome = try await OrchardProcess.run(["validate", file])
        #expect(outcome.status == 1, "\(outcome)")
        let lines = outcome.errorLines
        #expect(lines.count == 52, "\(lines.suffix(3))")
        #expect(lines.contains { $0.hasPrefix("\(file):1:1: unknown_key_0: unknown key") }, "\(lines.prefix(8))")
        #expect(!lines.contains { $0.contains("unknown_key_100:") }, "\(lines.prefix(8))")
        // The five required keys are missing too: 2,005 mistakes in all.
        #expect(lines.suffix(2) == ["... and 1955 more mistakes", "orchard validate: 2005 mistakes in \(file)"])
        let json = try await OrchardProcess.run(["validate", file, "--json"])
        let report = try JSONReport(parsing: json.standardOutput.trimmingCharacters(in: .newlines))
        #expect(try report.objects("diagnostics").count == 50)
        #expect(try report.integer("omitted") == 1_955)
    }

    @Test("a file that does not exist is named, with exit status 1")
    func missingFile() async throws {
        let outcome = try await OrchardProcess.run(["validate", "/nonexistent/topology.yaml"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.errorLines.first == "/nonexistent/topology.yaml: no such file")
    }
}
