import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// Bad input from the command line and the disk: each refused with a clear error naming the
/// flag, file or key, a non-zero exit, no crash, and nothing left behind.
@Suite("orchard bad input")
struct BadInputTests {
    /// Four clients on generated data: loads in a moment, needs no file.
    static let tiny = """
        name: tiny
        rounds: 2
        dataset: {kind: synthetic-images, train_samples: 200, test_samples: 50}
        model: logreg
        groups:
          - count: 4
        """

    /// Writes the tiny topology into `folder` and returns its path.
    static func tinyTopology(in folder: TemporaryFolder) throws -> String {
        try folder.write("tiny.yaml", Array(tiny.utf8))
    }

    /// Runs `orchard client` for the tiny topology, toward an endpoint where nothing listens.
    static func client(_ extra: [String]) async throws -> OrchardProcess.Outcome {
        let folder = try TemporaryFolder()
        let topology = try tinyTopology(in: folder)
        return try await OrchardProcess.run(
            ["client", "--connect", "tcp://127.0.0.1:1", "--topology", topology] + extra)
    }

    @Test("overlapping --clients ranges are refused, naming both")
    func overlappingClients() async throws {
        expectRefusal(
            try await Self.client(["--clients", "0-5,3-11"]), status: CommandErrorTests.usageStatus,
            mentioning: ["--clients '0-5,3-11'", "0-5 and 3-11 overlap", "3-5 named twice"])
        // The overlap is said before the topology is read, however large the ranges.
        expectRefusal(
            try await Self.client(["--clients", "2,0-99999999999"]), status: CommandErrorTests.usageStatus,
            mentioning: ["0-99999999999 and 2 overlap"])
    }

    @Test("a --clients range past the topology's clients is refused before any id is listed")
    func hugeClientRange() async throws {
        expectRefusal(
            try await Self.client(["--clients", "0-99999999999"]), status: CommandErrorTests.failureStatus,
            mentioning: ["--clients '0-99999999999'", "tiny.yaml has clients 0-3 only", "not 4-99999999999"])
    }

    @Test("a host with no coordinator says where it waits, how long, and why it gives up")
    func hostWithoutCoordinator() async throws {
        let folder = try TemporaryFolder()
        let topology = try Self.tinyTopology(in: folder)
        let endpoint = "tcp://127.0.0.1:1"
        let outcome = try await OrchardProcess.run([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-3", "--host-id", "lonely",
            "--wait", "3",
        ])
        #expect(outcome.exitedNormally && outcome.status == 1, "\(outcome)")
        let lines = outcome.errorLines
        #expect(
            lines.first == "host lonely: waiting for the coordinator at \(endpoint) (giving up after 3 s)", "\(outcome)"
        )
        let reminders = lines.filter { $0.hasPrefix("host lonely: still waiting for the coordinator at \(endpoint): ") }
        #expect(reminders.count >= 2, "\(outcome)")
        #expect(reminders.first?.contains("s so far, giving up after 3 s") == true, "\(outcome)")
        #expect(
            lines.last?.hasPrefix("Error: host lonely: no coordinator answered at \(endpoint) in 3 s") == true,
            "\(outcome)")
    }

    /// Numeric options given a value outside their range, each as it would be typed.
    static let outOfRange: [(arguments: [String], option: String)] = [
        (["run", "t.yaml", "--processes", "-1"], "--processes"),
        (["run", "t.yaml", "--processes", "0"], "--processes"),
        (["coordinator", "--topology", "t.yaml", "--hosts", "-1"], "--hosts"),
        (
            ["client", "--connect", "tcp://h:1", "--topology", "t.yaml", "--clients", "0", "--threads", "-1"],
            "--threads"
        ),
        (["client", "--connect", "tcp://h:1", "--topology", "t.yaml", "--clients", "0", "--wait", "-5"], "--wait"),
        (["client", "--connect", "tcp://h:1", "--topology", "t.yaml", "--clients", "-1"], "--clients"),
        (["report", "r.sqlite", "--rows", "-1"], "--rows"),
        (["report", "r.sqlite", "--run", "-1"], "--run"),
        (["train", "--epochs", "-1"], "--epochs"),
        (["train", "--batch", "-1"], "--batch"),
        (["train", "--lr", "-0.1"], "--lr"),
        (["train", "--lr", "inf"], "--lr"),
        (["train", "--momentum", "-1"], "--momentum"),
        (["train", "--weight-decay", "-1"], "--weight-decay"),
        (["train", "--width", "-1"], "--width"),
        (["train", "--threads", "-1"], "--threads"),
        (["train", "--limit", "-1"], "--limit"),
        (["train", "--seed", "-1"], "--seed"),
        (["bench", "step", "--batch", "-1"], "--batch"),
        (["bench", "step", "--steps", "-1"], "--steps"),
        (["bench", "step", "--threads", "-1"], "--threads"),
        (["bench", "step", "--width", "-1"], "--width"),
        (["bench", "step", "--classes", "-1"], "--classes"),
        (["bench", "step", "--density", "-1"], "--density"),
    ]

    @Test("a numeric option out of range is named with its value and the range allowed", arguments: outOfRange)
    func numericOption(_ arguments: [String], _ option: String) async throws {
        let outcome = try await OrchardProcess.run(arguments)
        let value = try #require(arguments.last)
        expectRefusal(outcome, status: CommandErrorTests.usageStatus, mentioning: [option, value])
        let firstLine = outcome.errorLines.first ?? ""
        #expect(firstLine.contains(option) && firstLine.contains(value), "\(outcome)")
        // Every line says something: no bare "Help:" line.
        #expect(!outcome.errorLines.contains { $0.trimmingCharacters(in: .whitespaces) == "Help:" }, "\(outcome)")
    }

    @Test("--db under a folder that cannot be written is refused, naming the folder and why")
    func unwritableDatabaseFolder() async throws {
        try #require(OrchardProcess.canRunUnprivileged, "cannot drop root's privileges: no \(OrchardProcess.setpriv)")
        let folder = try TemporaryFolder()
        let topology = try Self.tinyTopology(in: folder)
        let locked = folder.file("ro")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        let database = locked + "/sub/x.sqlite"
        let outcome = try await OrchardProcess.run(["run", topology, "--db", database], unprivileged: true)
        expectRefusal(
            outcome, status: CommandErrorTests.failureStatus,
            mentioning: ["--db \(database)", "cannot create the folder \(locked)/sub", "Permission denied"])
        #expect(!outcome.standardError.contains("NSCocoaErrorDomain"), "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: locked + "/sub"))
    }

    @Test("--db under a file is refused, naming the file that is not a folder")
    func databaseUnderAFile() async throws {
        let folder = try TemporaryFolder()
        let topology = try Self.tinyTopology(in: folder)
        let file = try folder.write("afile", Array("not a folder\n".utf8))
        let outcome = try await OrchardProcess.run(["run", topology, "--db", file + "/x.sqlite"])
        expectRefusal(
            outcome, status: CommandErrorTests.failureStatus,
            mentioning: ["--db \(file)/x.sqlite", "\(file) is a file, not a folder"])
        #expect(!outcome.standardError.contains("NSCocoaErrorDomain"), "\(outcome)")
    }

    @Test("a run refused after its folder was made leaves no folder behind")
    func refusedRunLeavesNothing() async throws {
        let folder = try TemporaryFolder()
        let topology = try Self.tinyTopology(in: folder)
        let database = folder.file("new/deeper/x.sqlite")
        let outcome = try await OrchardProcess.run(["run", topology, "--resume", "--db", database])
        expectRefusal(outcome, status: CommandErrorTests.failureStatus, mentioning: ["\(database): no such file"])
        #expect(!FileManager.default.fileExists(atPath: folder.file("new")), "\(outcome)")
    }

    @Test("garbage data files fail validation, naming the file, and `run` then makes no runs/ folder")
    func garbageDataFiles() async throws {
        let folder = try TemporaryFolder()
        let data = folder.file("data/mnist")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let garbage = [UInt8](repeating: 0x41, count: 4_000)
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"] {
            try folder.write("data/mnist/" + name, garbage)
        }
        // A plausible label header whose file is cut short.
        try folder.write("data/mnist/t10k-labels-idx1-ubyte", IDXBytes.labels(count: 10).dropLast(3))
        let topology = try folder.write(
            "mnist.yaml",
            Array("name: m\nrounds: 1\ndataset: mnist\nmodel: logreg\ngroups: [{count: 2}]\n".utf8))
        let validation = try await OrchardProcess.run(["validate", topology, "--root", folder.path])
        #expect(validation.exitedNormally && validation.status == 1, "\(validation)")
        let first = try #require(validation.errorLines.first)
        #expect(first.hasPrefix("\(topology):3:10: dataset.kind: \(data)/train-images-idx3-ubyte: "), "\(validation)")
        #expect(first.contains("wrong magic number 0x41414141: expected 0x00000803"), "\(validation)")

        // With the images fixed, the truncated labels are named.
        for name in ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"] {
            try folder.write("data/mnist/" + name, IDXBytes.images(count: 10, rows: 2, columns: 2, pixelBytes: 40))
        }
        try folder.write("data/mnist/train-labels-idx1-ubyte", IDXBytes.labels(count: 10))
        let truncated = try await OrchardProcess.run(["validate", topology, "--root", folder.path])
        #expect(truncated.status == 1, "\(truncated)")
        #expect(truncated.standardError.contains("\(data)/t10k-labels-idx1-ubyte: truncated"), "\(truncated)")

        let run = try await OrchardProcess.run(["run", topology, "--root", folder.path], directory: folder.path)
        #expect(run.exitedNormally && run.status == 1, "\(run)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("runs")), "\(run)")
    }

    @Test("report reads a run file in a folder it cannot write, leaving nothing there")
    func reportFromReadOnlyFolder() async throws {
        try #require(OrchardProcess.canRunUnprivileged, "cannot drop root's privileges: no \(OrchardProcess.setpriv)")
        let folder = try TemporaryFolder()
        let locked = folder.file("ro")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        let path = locked + "/run.sqlite"
        try ReportCommandTests().writeRun(to: path)
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }

        let outcome = try await OrchardProcess.run(["report", path, "--json"], unprivileged: true)
        let report = try outcome.report()
        #expect(try report.integer("rounds") == 2)
        #expect(try report.string("status") == "completed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: locked) == ["run.sqlite"])
    }
}
