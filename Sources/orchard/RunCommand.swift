import ArgumentParser
import Foundation
import OrchardReport
import OrchardRuntime
import OrchardStore
import OrchardTensor
import OrchardTopology

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a topology: a coordinator and client-host processes on this machine.")

    @Argument(help: "The topology file.") var topology: String
    @OptionGroup var overrides: TopologyOverrides
    @Option(help: "The run's SQLite file (default: runs/NAME.sqlite).") var db: String?
    @Option(help: "Client-host processes to start (default: one per core).") var processes: Int?
    @Flag(help: "Continue the run in --db from its last checkpoint.") var resume = false
    @Option(help: "Folder that relative data paths resolve against.") var root = "."

    func validate() throws {
        if let processes, processes < 1 { throw ValidationError("--processes must be positive, got \(processes)") }
    }

    func run() throws {
        BLAS.setThreads(1)
        StopSignal.install()
        let plan = try TopologyCommand.load(topology, overrides: overrides, root: root)
        let database = db ?? "runs/\(plan.topology.name).sqlite"
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: database).deletingLastPathComponent(), withIntermediateDirectories: true)
        let count = processes ?? ProcessInfo.processInfo.activeProcessorCount
        let session = try CoordinatorSession(
            plan: plan, database: database, resume: resume, endpoint: "tcp://127.0.0.1:*", expectedHosts: count)
        let launcher = LocalLauncher(
            executable: Self.executablePath, topologyFile: topology, overrides: overrides.arguments, root: root)
        let hosts = try launcher.start(
            endpoint: session.coordinator.boundEndpoint, processes: count, clients: 0...(plan.topology.clientCount - 1))
        defer { LocalLauncher.reap(hosts) }
        try RunOutput.execute(session, name: plan.topology.name, database: database)
    }

    /// This executable, which the hosts run too.
    static var executablePath: String {
        Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}

/// What `run` and `coordinator` print while and after a run.
enum RunOutput {
    static func execute(_ session: CoordinatorSession, name: String, database: String) throws {
        let progress = ProgressBar(enabled: true)
        if session.firstRound > 1 {
            FileHandle.standardError.write(Data("\(name): resuming at round \(session.firstRound)\n".utf8))
        }
        let outcome = try session.execute { progress.round($0) }
        switch outcome {
        case .completed: progress.finish("\(name): completed, recorded in \(database)")
        case .stopped(let round):
            progress.finish(
                "\(name): stopped after round \(round.map(String.init) ?? "none"); "
                    + "continue with --resume --db \(database)")
        }
        let summary = try RunSummary(store: session.store, run: session.run)
        print(summary.text(maxRows: 12))
    }
}
