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
    @Option(parsing: .unconditional, help: "Clients this host serves: 0-99, 7, or 0-9,20-29.") var clients: String
    @Option(help: "This host's name, unique among the run's hosts; with --keys, the id its key is bound to.")
    var hostID: String?
    @Option(help: "Folder that relative data paths resolve against.") var root = "."
    @Option(parsing: .unconditional, help: "OpenBLAS threads.") var threads = 1
    @Option(parsing: .unconditional, help: "Exit when this process is gone (set by `orchard run` for its hosts).")
    var parent: Int32?
    @Option(parsing: .unconditional, help: "Seconds without word from the coordinator before giving up.") var wait =
        120.0
    @OptionGroup var security: SecurityOptions

    func validate() throws {
        do {
            _ = try ClientRanges.parse(clients)
        } catch {
            throw ValidationError("\(error)")
        }
        try OptionCheck.threads(threads)
        try OptionCheck.between("--wait", wait, 1...86_400)
        if security.keys != nil && hostID == nil {
            throw ValidationError("--keys needs --host-id, the id the key is bound to")
        }
        try security.validate(endpoint: connect, option: "--connect")
    }

    func run() throws {
        BLAS.setThreads(threads)
        StopSignal.install()
        let wireSecurity = try security.client(hostID: hostID, connect: connect)
        let plan = try TopologyCommand.load(topology.path, overrides: overrides, root: root)
        var settings = ClientHost.Settings(
            endpoint: connect, hostID: hostID ?? "host-\(ProcessInfo.processInfo.processIdentifier)")
        settings.parentProcess = parent
        settings.giveUpAfter = .milliseconds(Int64(wait * 1000))
        settings.wire.security = wireSecurity
        try HostSession.serve(plan: plan, clients: try ClientRanges.parse(clients), settings: settings)
        // Stopped by a signal: say so in the exit status, as a shell does for a process it kills.
        if let status = StopSignal.exitStatus { throw ExitCode(status) }
    }
}

/// Loads a topology for a command that runs it, turning its diagnostics into a failure.
enum TopologyCommand {
    static func load(_ file: String, overrides: TopologyOverrides, root: String) throws -> RunPlan {
        do {
            return try TopologyLoader(root: root).load(file: file, overrides: try overrides.parsed())
        } catch {
            FileHandle.standardError.write(Data(error.lines.map { $0 + "\n" }.joined().utf8))
            throw ExitCode.failure
        }
    }
}
