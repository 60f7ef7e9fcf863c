import ArgumentParser
import Foundation
import OrchardRuntime
import OrchardTensor
import OrchardTopology

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a topology: a coordinator and client-host processes on this machine.")

    @Argument(help: "The topology file.") var topology: String
    @Option(help: "Client-host processes to start (default: one per core).") var processes: Int?
    @Option(help: "Folder that relative data paths resolve against.") var root = "."

    func validate() throws {
        if let processes, processes < 1 { throw ValidationError("--processes must be positive, got \(processes)") }
    }

    func run() throws {
        BLAS.setThreads(1)
        StopSignal.install()
        let plan = try TopologyCommand.load(topology, root: root)
        let count = processes ?? ProcessInfo.processInfo.activeProcessorCount
        let session = try CoordinatorSession(
            plan: plan, endpoint: "tcp://127.0.0.1:*", expectedHosts: count, recorder: nil)
        let launcher = LocalLauncher(executable: Self.executablePath, topologyFile: topology, root: root)
        let ranges = Array(repeating: 0...(plan.topology.clientCount - 1), count: count)
        let hosts = try launcher.start(endpoint: session.coordinator.boundEndpoint, ranges: ranges)
        defer { LocalLauncher.reap(hosts) }
        let progress = ProgressBar(enabled: true)
        let outcome = try session.execute(from: 0, simTime: 0) { progress.round($0) }
        progress.finish("\(plan.topology.name): \(outcome == .completed ? "completed" : "stopped")")
    }

    /// This executable, which the hosts run too.
    static var executablePath: String {
        Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
