import Foundation

/// Starts client-host processes on this machine.
///
/// Every local host serves every client (each builds a client's shard when it is given the client's
/// task, `HostClients`), so the coordinator can give each task to whichever host has the least work queued:
/// clients' shards differ in size under label or quantity skew, and fixed ranges would leave one
/// host idle while another still trains. Results do not depend on the host that computed them.
public struct LocalLauncher {
    public let executable: String
    public let topologyFile: String
    /// The `KEY.PATH=VALUE` overrides of the topology, passed on to every host as `--set`.
    public let overrides: [String]
    public let root: String
    /// A key folder holding every host's key (`hosts/ID.key`) and the coordinator's public key,
    /// passed to the hosts as `--keys`; `nil` runs them with NULL security.
    public let keys: String?

    public init(
        executable: String, topologyFile: String, overrides: [String] = [], root: String, keys: String? = nil
    ) {
        self.executable = executable
        self.topologyFile = topologyFile
        self.overrides = overrides
        self.root = root
        self.keys = keys
    }

    /// The host ids of `processes` hosts, in the order `start` gives them.
    public static func hostIDs(processes: Int) -> [String] { (0..<processes).map { "host-\($0)" } }

    /// Starts `processes` hosts serving `clients`, connected to `endpoint`, with one BLAS thread each.
    public func start(endpoint: String, processes: Int, clients: ClosedRange<Int>) throws -> [Process] {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        return try Self.hostIDs(processes: processes).map { hostID in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments =
                [
                    "client", "--connect", endpoint, "--topology", topologyFile, "--root", root,
                    "--clients", "\(clients.lowerBound)-\(clients.upperBound)", "--host-id", hostID,
                    "--parent", "\(ProcessInfo.processInfo.processIdentifier)",
                ] + (keys.map { ["--keys", $0] } ?? []) + overrides.flatMap { ["--set", $0] }
            process.environment = environment
            try process.run()
            return process
        }
    }

    /// Waits up to `grace` for the hosts to exit on their own, then asks the rest to stop
    /// (SIGTERM), and kills those still there a second later (SIGKILL: a frozen host cannot
    /// handle a SIGTERM, and waiting for it would never end).
    public static func reap(_ processes: [Process], grace: Duration = .seconds(5)) {
        func wait(_ span: Duration) {
            let until = ContinuousClock.now + span
            while processes.contains(where: \.isRunning) && ContinuousClock.now < until {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        wait(grace)
        for process in processes where process.isRunning { process.terminate() }
        wait(.seconds(1))
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }
}
