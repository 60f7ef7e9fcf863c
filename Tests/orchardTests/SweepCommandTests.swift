import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// `orchard sweep` end to end: a grid of real runs, its summary, and a second call that runs nothing.
@Suite("orchard sweep end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(20)))
struct SweepCommandTests {
    /// A sweep of two methods by two densities by three seeds over a three-round base topology.
    static let sweep = """
        topology: base.yaml
        axes:
          method:
            - {label: magnitude, method: {name: fixed-mask, criterion: magnitude}}
            - {label: feddst, method: {name: feddst, delta: 1, t_end: 3}}
          method.density: [20%, 10%]
        seeds: [0, 1, 2]
        """

    func write(_ folder: TemporaryFolder, sweep: String = Self.sweep) throws -> String {
        try smallTopology(rounds: 3, method: "{name: fixed-mask, density: 50%}")
            .write(toFile: folder.file("base.yaml"), atomically: true, encoding: .utf8)
        try sweep.write(toFile: folder.file("grid.yaml"), atomically: true, encoding: .utf8)
        return folder.file("grid.yaml")
    }

    @Test func aGridWritesMeanAndSdPerCellAndASecondCallRunsNothing() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sweep = try write(folder)
        let out = folder.file("out")
        let arguments = ["sweep", sweep, "--out", out, "--parallel", "2", "--processes", "1"]
        let first = try await OrchardProcess.run(arguments)
        #expect(first.status == 0, "\(first)")
        #expect(first.errorLines.filter { $0.contains(": started") }.count == 12, "\(first)")

        let summary = try JSONReport(parsing: String(contentsOfFile: out + "/summary.json", encoding: .utf8))
        #expect(try summary.string("final_accuracy_definition").contains("last 5 evaluations"))
        let cells = try summary.objects("cells")
        #expect(
            cells.map { $0.fields["name"] as? String } == [
                "magnitude_20pct", "magnitude_10pct", "feddst_20pct", "feddst_10pct",
            ])
        for cell in cells {
            #expect(try cell.integer("runs") == 3)
            #expect(try cell.integers("seeds") == [0, 1, 2])
            let accuracy = try JSONReport(fields: #require(cell.fields["final_accuracy"] as? [String: Any]))
            #expect(try accuracy.number("mean") > 0 && accuracy.number("mean") <= 1)
            #expect(try accuracy.number("sd") >= 0)
            #expect(try accuracy.integer("n") == 3)
            let bytes = try JSONReport(fields: #require(cell.fields["bytes_up"] as? [String: Any]))
            #expect(try bytes.number("mean") > 0)
        }
        let markdown = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        #expect(markdown.contains("| feddst_10pct | feddst | 10pct | 3/3 |"), "\(markdown)")

        let runs = try FileManager.default.contentsOfDirectory(atPath: out + "/runs").filter { $0.hasSuffix(".sqlite") }
        #expect(runs.count == 12)
        let modified = try runs.map {
            try FileManager.default.attributesOfItem(atPath: "\(out)/runs/\($0)")[.modificationDate] as? Date
        }
        try FileManager.default.removeItem(atPath: out + "/summary.json")

        let figures = [
            "--figures", out + "/figures", "--ladder", "method.density", "--versus", "feddst", "--figures-link", "f",
        ]
        let second = try await OrchardProcess.run(arguments + ["--html", out + "/sweep.html"] + figures)
        #expect(second.status == 0, "\(second)")
        #expect(second.standardError.contains("12 runs in 4 cells; 12 already complete"), "\(second)")
        #expect(!second.standardError.contains(": started"))
        #expect(FileManager.default.fileExists(atPath: out + "/summary.json"))
        let again = try runs.map {
            try FileManager.default.attributesOfItem(atPath: "\(out)/runs/\($0)")[.modificationDate] as? Date
        }
        #expect(again == modified)
        let html = try String(contentsOfFile: out + "/sweep.html", encoding: .utf8)
        #expect(html.contains("mean ± sd over seeds") && html.contains("<polygon"))

        let drawn = try FileManager.default.contentsOfDirectory(atPath: out + "/figures").sorted()
        #expect(drawn == ["bytes-10pct.svg", "bytes-20pct.svg", "ladder.svg", "rounds-10pct.svg", "rounds-20pct.svg"])
        let ladder = try String(contentsOfFile: out + "/figures/ladder.svg", encoding: .utf8)
        #expect(ladder.contains("<svg") && ladder.contains("<polyline") && ladder.contains("magnitude: 20%"))
        let page = try String(contentsOfFile: out + "/figures.md", encoding: .utf8)
        #expect(page.contains("![method.density ladder](f/ladder.svg)") && page.contains("| magnitude | 3/3 |"))
        #expect(page.contains("### feddst against the best other method"), "\(page)")
    }

    @Test func figureOptionsNeedTheFiguresFolder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let result = try await OrchardProcess.run(["sweep", try write(folder), "--ladder", "method.density"])
        #expect(result.status != 0)
        #expect(result.standardError.contains("give --figures FOLDER"), "\(result)")
    }

    @Test func aMistakeInAnyCellStopsTheSweepBeforeAnyRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sweep = try write(
            folder,
            sweep: """
                topology: base.yaml
                axes:
                  method.density: [20%, abc]
                seeds: [0]
                """)
        let out = folder.file("out")
        let outcome = try await OrchardProcess.run(["sweep", sweep, "--out", out])
        #expect(outcome.status != 0)
        #expect(
            outcome.standardError.contains("cell abc: --set method.density=abc: method.density:"), "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: out + "/runs"))
    }
}

/// A sweep finds an interrupted run file of its own and resumes it rather than starting again.
@Suite("orchard sweep resuming", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct SweepResumeTests {
    @Test func anInterruptedRunIsResumedFromItsCheckpoint() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try smallTopology(rounds: 40, checkpointEvery: 3)
            .write(toFile: folder.file("base.yaml"), atomically: true, encoding: .utf8)
        try "topology: base.yaml\naxes: {training.lr: [0.05]}\nseeds: [4]\n"
            .write(toFile: folder.file("one.yaml"), atomically: true, encoding: .utf8)
        let out = folder.file("out")
        let database = out + "/runs/0.05-seed4.sqlite"
        try FileManager.default.createDirectory(atPath: out + "/runs", withIntermediateDirectories: true)
        // The run the sweep would start, killed after a checkpoint.
        let run = try BackgroundOrchard([
            "run", folder.file("base.yaml"), "--db", database, "--processes", "1", "--set", "training.lr=0.05",
            "--set", "seed=4",
        ])
        try await waitForRound(4, in: database, of: run)
        run.kill()

        let outcome = try await OrchardProcess.run(
            ["sweep", folder.file("one.yaml"), "--out", out, "--processes", "1"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.standardError.contains("0.05-seed4: resuming"), "\(outcome)")
        let log = try String(contentsOfFile: out + "/logs/0.05-seed4.log", encoding: .utf8)
        #expect(log.contains("resuming at round"), "\(log)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let latest = try #require(try store.latestRun())
        #expect(try store.runs().count == 1)
        #expect(try store.runRecord(latest).status == .completed)
        #expect(try store.runRecord(latest).resumeCount == 1)
    }
}
