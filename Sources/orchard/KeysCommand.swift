import ArgumentParser
import Foundation
import OrchardWire

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make CurveZMQ keys that authenticate a coordinator and its client hosts.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a coordinator key pair, one key pair per host and the allow-list binding them.",
            discussion: """
                Layout: DIR/coordinator.key (secret, 0600), DIR/coordinator.pub, DIR/allowed-hosts \
                ("HOST-ID PUBLIC-KEY" per line), DIR/hosts/ID.key (secret, 0600), DIR/hosts/ID.pub; the \
                folders are 0700. The coordinator machine needs DIR/coordinator.key and DIR/allowed-hosts \
                (orchard coordinator --keys DIR). Host ID's machine needs only DIR/hosts/ID.key and \
                DIR/coordinator.pub, laid out the same way (orchard client --keys DIR --host-id ID).
                """)

        @Argument(help: "The folder to write; created if needed, and set to mode 0700.") var folder: String
        @Option(help: "Host ids, comma-separated, such as gpu-1,gpu-2: no whitespace or slash, each once.")
        var hosts: String
        @Flag(help: "Replace key files that already exist.") var force = false

        func run() throws {
            let ids = hosts.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let keyFolder = KeyFolder(path: folder)
            try keyFolder.generate(hostIDs: ids, force: force)
            print("wrote a coordinator key pair and \(ids.count) host key pairs in \(folder)")
            print("coordinator: orchard coordinator --keys \(folder) ... (reads coordinator.key, allowed-hosts)")
            print("host ID:     copy \(folder)/hosts/ID.key and \(folder)/coordinator.pub to its machine, then")
            print("             orchard client --keys DIR --host-id ID ...")
        }
    }
}
