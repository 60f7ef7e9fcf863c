import ArgumentParser
import Foundation
import OrchardReport
import OrchardStore
import OrchardTopology

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of topologies over axes and seeds, and summarise each cell's mean and sd.",
        discussion: """
            Checks every run's topology before starting any, then runs each as `orchard run` in a child \
            process with its own hosts, recording it in DIR/runs/CELL-seedS.sqlite (its output in \
            DIR/logs/). A run file whose run completed is skipped, an interrupted one resumed from its \
            last checkpoint, so a second call only rewrites DIR/summary.json and DIR/summary.md. \
            docs/sweeps.md describes the sweep file.
            """)

    @Argument(help: "The sweep file (YAML).") var sweep: String
    @Option(help: "Folder of the run files and summaries (default: runs/sweeps/NAME).") var out: String?
    @Option(help: "Runs at a time.") var parallel = 1
    @Option(help: "Client-host processes per run (default: the cores divided among the parallel runs).")
    var processes: Int?
    @Option(help: "Folder that relative data paths resolve against.") var root = "."
    @Option(help: ArgumentHelp("Also write the sweep's charts to this HTML file.", valueName: "file"))
    var html: String?
    @Option(
        help: ArgumentHelp(
            "Also write the sweep's figures as SVG files to this folder, and their page to DIR/figures.md.",
            valueName: "folder"))
    var figures: String?
    @Option(help: "The axis whose values are the figures' lines (default: the first axis).") var series: String?
    @Option(help: "A numeric axis, such as method.density, along which to draw final accuracy.") var ladder: String?
    @Option(help: "A value of the series axis to compare with the best other value in each group.")
    var versus: String?
    @Option(help: ArgumentHelp("How figures.md links its images (default: the folder's name).", valueName: "path"))
    var figuresLink: String?

    func validate() throws {
        try OptionCheck.positive("--parallel", parallel)
        if let processes { try OptionCheck.positive("--processes", processes) }
        if figures == nil, series != nil || ladder != nil || versus != nil || figuresLink != nil {
            throw ValidationError(
                "--series, --ladder, --versus and --figures-link shape --figures; give --figures FOLDER")
        }
    }

    func run() throws {
        let sweep = try Self.load(self.sweep)
        let folder = out ?? "runs/sweeps/" + URL(fileURLWithPath: self.sweep).deletingPathExtension().lastPathComponent
        let jobs = try SweepJob.plan(sweep, folder: folder, root: root)
        var pending: [SweepJob] = []
        for var job in jobs {
            if try job.prepare() != .complete { pending.append(job) }
        }
        let skipped = jobs.count - pending.count
        Self.note("sweep: \(jobs.count) runs in \(sweep.cells.count) cells; \(skipped) already complete")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let runner = SweepRunner(
            executable: Run.executablePath, root: root,
            processes: processes ?? max(1, cores / min(parallel, max(pending.count, 1))), parallel: parallel)
        let failures = try runner.run(pending, total: jobs.count)
        let summary = try Self.summarise(sweep, jobs: jobs)
        try write(summary, folder: folder, runs: jobs)
        guard failures.isEmpty else {
            Self.note("sweep: \(failures.count) run(s) failed: " + failures.map(\.name).joined(separator: ", "))
            throw ExitCode.failure
        }
    }

    /// Writes the summaries (and the HTML report when asked) and says where.
    private func write(_ summary: SweepSummary, folder: String, runs: [SweepJob]) throws {
        let json = folder + "/summary.json"
        let markdown = folder + "/summary.md"
        try Data(try summary.json().utf8).write(to: URL(fileURLWithPath: json))
        try Data(summary.markdown().utf8).write(to: URL(fileURLWithPath: markdown))
        print(summary.markdown(), terminator: "")
        Self.note("sweep: wrote \(json) and \(markdown)")
        guard html != nil || figures != nil else { return }
        let charts = try SweepCharts.runs(summary, jobs: runs)
        if let html {
            try SweepCharts.write(summary, runs: charts, to: html)
            Self.note("sweep: wrote \(html)")
        }
        if let figures {
            let axis = series ?? summary.cells.first?.settings.first?.axis ?? ""
            let plan = SweepFigures(seriesAxis: axis, ladderAxis: ladder, reference: versus)
            let markdown = folder + "/figures.md"
            try SweepCharts.write(
                summary, runs: charts, figures: plan, to: figures, markdownPath: markdown, link: figuresLink)
            Self.note("sweep: wrote the figures to \(figures) and their page to \(markdown)")
        }
    }

    /// Reads the sweep file, printing its mistakes.
    static func load(_ file: String) throws -> Sweep {
        do {
            return try Sweep.load(file: file)
        } catch {
            for diagnostic in error.diagnostics { note(diagnostic.description) }
            throw ExitCode.failure
        }
    }

    /// The summary of every cell's completed runs.
    static func summarise(_ sweep: Sweep, jobs: [SweepJob]) throws -> SweepSummary {
        var cells: [SweepSummary.Cell] = []
        for cell in sweep.cells {
            let cellJobs = jobs.filter { $0.cell == cell.name }
            var runs: [(seed: UInt64, summary: RunSummary)] = []
            for job in cellJobs {
                if let summary = try job.completedSummary() { runs.append((job.seed, summary)) }
            }
            let settings = cell.settings.map { SweepSummary.Setting(axis: $0.axis, value: $0.label) }
            cells.append(
                SweepSummary.Cell(name: cell.name, settings: settings, plannedRuns: cellJobs.count, runs: runs))
        }
        return SweepSummary(sweep: sweep.file, cells: cells)
    }

    /// One line on standard error.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
