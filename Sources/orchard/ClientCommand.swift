import ArgumentParser
import Foundation
import OrchardRuntime
import OrchardTensor
import OrchardTopology

struct Client: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve logical clients of a run to a coordinator (one process, many clients).")

    @Option(help: "The coordinator's endpoint, such as tcp://10.0.0.5:5555.") var connect: String
    @OptionGroup var topology: TopologyFileChoice
    @OptionGroup var overrides: TopologyOverrides
    @Option(help: "Clients this host serves: 0-99, 7, or 0-9,20-29.") var clients: String
    @Option(help: "This host's name, unique among the run's hosts.") var hostID: String?
    @Option(help: "Folder that relative data paths resolve against.") var root = "."
    @Option(help: "OpenBLAS threads.") var threads = 1
    @Option(help: "Exit when this process is gone (set by `orchard run` for its hosts).") var parent: Int32?

    func run() throws {
        BLAS.setThreads(threads)
        StopSignal.install()
        let plan = try TopologyCommand.load(topology.path, overrides: overrides, root: root)
        let ids = try HostSession.parseClients(clients)
        let name = hostID ?? "host-\(ProcessInfo.processInfo.processIdentifier)"
        try HostSession.serve(plan: plan, clients: ids, endpoint: connect, hostID: name, parentProcess: parent)
    }
}

/// Loads a topology for a command that runs it, turning its diagnostics into a failure.
enum TopologyCommand {
    static func load(_ file: String, overrides: TopologyOverrides, root: String) throws -> RunPlan {
        do {
            return try TopologyLoader(root: root).load(file: file, overrides: try overrides.parsed())
        } catch {
            for diagnostic in error.diagnostics {
                FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
            }
            throw ExitCode.failure
        }
    }
}
