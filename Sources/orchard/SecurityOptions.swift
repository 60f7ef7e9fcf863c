import ArgumentParser
import Foundation
import OrchardWire

/// `--keys` and `--insecure`, shared by `coordinator` and `client`, and the security they choose.
struct SecurityOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "CurveZMQ keys from `orchard keys generate DIR`. The coordinator reads DIR/coordinator.key and "
                + "DIR/allowed-hosts; a host reads DIR/hosts/ID.key (ID from --host-id) and DIR/coordinator.pub, "
                + "the only two files its machine needs.", valueName: "dir"))
    var keys: String?
    @Flag(
        help: ArgumentHelp(
            "Use NULL security: no authentication, no encryption. Needed for an endpoint other machines can "
                + "reach when --keys is not given."))
    var insecure = false

    /// Checks the flags together: `--keys` and `--insecure` exclude each other, and NULL security
    /// beyond this machine needs `--insecure`.
    func validate(endpoint: String, option: String) throws {
        if keys != nil && insecure { throw ValidationError("--keys and --insecure exclude each other") }
        if keys == nil && !insecure && !Endpoint.isLoopbackOnly(endpoint) {
            throw ValidationError(
                "\(option) \(endpoint) is reachable from other machines: authenticate hosts with --keys DIR "
                    + "(make them with `orchard keys generate DIR --hosts ID,...`), or pass --insecure to run "
                    + "without authentication")
        }
    }

    /// The coordinator's setting: its keys, or NULL when asked for or when only this machine can connect.
    func coordinator(bind: String) throws -> WireSecurity {
        if let keys { return try KeyFolder(path: keys).serverSecurity() }
        if insecure {
            Self.warn("coordinator", "anyone who reaches \(bind) can join the run, send results and read the model")
        } else {
            FileHandle.standardError.write(
                Data("coordinator: no --keys: NULL security, open to every process of this machine\n".utf8))
        }
        return .insecure
    }

    /// A client host's setting: its key pair and the coordinator's public key, or NULL.
    func client(hostID: String?, connect: String) throws -> WireSecurity {
        // The command's `validate()` has made sure that --keys comes with --host-id; an empty id is
        // refused by name.
        if let keys { return try KeyFolder(path: keys).clientSecurity(hostID: hostID ?? "") }
        if insecure {
            Self.warn("client", "the coordinator at \(connect) is not authenticated and the traffic is not encrypted")
        }
        return .insecure
    }

    private static func warn(_ role: String, _ consequence: String) {
        let line = String(repeating: "!", count: 72)
        let warning =
            "\(line)\n!! \(role): --insecure: NULL security, no authentication, no encryption.\n"
            + "!! \(consequence).\n\(line)\n"
        FileHandle.standardError.write(Data(warning.utf8))
    }
}
