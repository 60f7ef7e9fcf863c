import ArgumentParser
import Foundation
import OrchardReport
import OrchardRuntime
import OrchardStore
import OrchardTensor
import OrchardTopology
import OrchardWire

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a topology: a coordinator and client-host processes on this machine.")

    @Argument(help: "The topology file.") var topology: String
    @OptionGroup var overrides: TopologyOverrides
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
        let plan = try TopologyCommand.load(topology, overrides: overrides, root: root)
        let database = db ?? "runs/\(plan.topology.name).sqlite"
        let place = try RunFilePlace(database)
        let count = processes ?? ProcessInfo.processInfo.activeProcessorCount
        // Keys for this run only, so that no other process on the machine can join it.
        let keys = try RunKeys(hostIDs: LocalLauncher.hostIDs(processes: count))
        defer { keys.remove() }
        let session = try place.removingIfRefused {
            try CoordinatorSession(
                plan: plan, database: database, resume: resume, endpoint: "tcp://127.0.0.1:*", expectedHosts: count,
                security: keys.coordinatorSecurity)
        }
        let launcher = LocalLauncher(
            executable: Self.executablePath, topologyFile: topology, overrides: overrides.arguments, root: root,
            keys: keys.folder.path)
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

/// The CurveZMQ keys of one `orchard run`: made in a fresh folder only its owner can open, removed
/// when the run ends.
struct RunKeys {
    let folder: KeyFolder
    let coordinatorSecurity: WireSecurity

    init(hostIDs: [String]) throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("orchard-run-keys-XXXXXX").path
        var bytes = Array(template.utf8CString)
        // mkdtemp makes the folder with mode 0700, under a name nobody could have prepared.
        guard mkdtemp(&bytes) != nil else {
            throw RuntimeError(
                "cannot make a folder for the run's keys (\(template)): \(String(cString: strerror(errno)))")
        }
        folder = KeyFolder(
            path: String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        do {
            try folder.generate(hostIDs: hostIDs, force: false)
            coordinatorSecurity = try folder.serverSecurity()
        } catch {
            try? FileManager.default.removeItem(atPath: folder.path)
            throw error
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder.path) }
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
