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
    @Option(help: "The run's SQLite file (default: runs/NAME.sqlite).") var db: String?
    @Option(parsing: .unconditional, help: "Client-host processes to start (default: one per core).") var processes:
        Int?
    @Flag(help: "Continue the run in --db from its last checkpoint.") var resume = false
    @Option(help: "Folder that relative data paths resolve against.") var root = "."

    func validate() throws {
        if let processes { try OptionCheck.between("--processes", processes, 1...1_024) }
    }

    func run() throws {
        BLAS.setThreads(1)
        StopSignal.install()
        let plan = try TopologyCommand.load(topology, root: root)
        let database = db ?? "runs/\(plan.topology.name).sqlite"
        let place = try RunFilePlace(database)
        let count = processes ?? ProcessInfo.processInfo.activeProcessorCount
        let session = try place.removingIfRefused {
            try CoordinatorSession(
                plan: plan, database: database, resume: resume, endpoint: "tcp://127.0.0.1:*", expectedHosts: count)
        }
        let launcher = LocalLauncher(executable: Self.executablePath, topologyFile: topology, root: root)
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
    /// Runs the session and prints its summary.
    /// - Throws: `ExitCode` 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM) when a
    ///   signal stopped the run, as a shell reports a process that a signal ended, so that
    ///   `orchard run ... && next` does not go on; the run's error otherwise.
    static func execute(_ session: CoordinatorSession, name: String, database: String) throws {
        let progress = ProgressBar(enabled: true)
        if session.firstRound > 1 {
            FileHandle.standardError.write(Data("\(name): resuming at round \(session.firstRound)\n".utf8))
        }
        let outcome: Coordinator.Outcome
        do {
            outcome = try session.execute { progress.round($0) }
        } catch {
            guard let status = StopSignal.exitStatus else { throw error }
            progress.finish("\(name): \(error)")
            throw ExitCode(status)
        }
        switch outcome {
        case .completed: progress.finish("\(name): completed, recorded in \(database)")
        case .stopped(let round):
            progress.finish(
                "\(name): stopped after round \(round.map(String.init) ?? "none"); "
                    + "continue with --resume --db \(database)")
        }
        let summary = try RunSummary(store: session.store, run: session.run)
        print(summary.text(maxRows: 12))
        if case .stopped = outcome, let status = StopSignal.exitStatus { throw ExitCode(status) }
    }
}
