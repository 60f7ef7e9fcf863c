import Foundation
import OrchardTestSupport
import Testing

/// `orchard keys generate`, `--keys`, `--insecure` and the loopback rule, with the real binary.
@Suite("orchard security", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct SecurityCommandTests {
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    func writeTopology(_ folder: TemporaryFolder, rounds: Int) throws -> String {
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: rounds).write(toFile: topology, atomically: true, encoding: .utf8)
        return topology
    }

    @Test func keysGenerateWritesTheLayoutAndRefusesToOverwrite() async throws {
        let folder = try TemporaryFolder()
        let keys = folder.file("keys")
        let made = try await OrchardProcess.run(["keys", "generate", keys, "--hosts", "gpu-1,gpu-2"])
        #expect(made.status == 0, "\(made)")
        #expect(try mode(keys) == 0o700 && mode(keys + "/hosts") == 0o700)
        #expect(try mode(keys + "/coordinator.key") == 0o600 && mode(keys + "/coordinator.pub") == 0o644)
        #expect(try mode(keys + "/hosts/gpu-1.key") == 0o600 && mode(keys + "/hosts/gpu-2.pub") == 0o644)
        let allowList = try String(contentsOfFile: keys + "/allowed-hosts", encoding: .utf8)
        let publicKey = try String(contentsOfFile: keys + "/hosts/gpu-2.pub", encoding: .utf8)
        #expect(allowList.contains("gpu-2 \(publicKey)"), "\(allowList)")
        let secret = try String(contentsOfFile: keys + "/coordinator.key", encoding: .utf8)

        let again = try await OrchardProcess.run(["keys", "generate", keys, "--hosts", "gpu-1"])
        #expect(again.status != 0 && again.standardError.contains("--force"), "\(again)")
        #expect(try String(contentsOfFile: keys + "/coordinator.key", encoding: .utf8) == secret)
        let forced = try await OrchardProcess.run(["keys", "generate", keys, "--hosts", "gpu-1", "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(try String(contentsOfFile: keys + "/coordinator.key", encoding: .utf8) != secret)

        let repeated = try await OrchardProcess.run(["keys", "generate", folder.file("other"), "--hosts", "a,b,a"])
        #expect(repeated.status != 0 && repeated.standardError.contains("'a'"), "\(repeated)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("other")))
    }

    @Test func aCoordinatorWithoutKeysRefusesAnOpenBind() async throws {
        let folder = try TemporaryFolder()
        let topology = try writeTopology(folder, rounds: 2)
        let database = folder.file("never.sqlite")
        let outcome = try await OrchardProcess.run([
            "coordinator", "--topology", topology, "--bind", "tcp://0.0.0.0:0", "--db", database,
        ])
        #expect(outcome.exitedNormally && outcome.status != 0, "\(outcome)")
        #expect(outcome.standardError.contains("tcp://0.0.0.0:0 is reachable from other machines"), "\(outcome)")
        #expect(outcome.standardError.contains("--keys") && outcome.standardError.contains("--insecure"))
        #expect(!FileManager.default.fileExists(atPath: database))
        let client = try await OrchardProcess.run([
            "client", "--connect", "tcp://10.0.0.5:5555", "--topology", topology, "--clients", "0-1",
        ])
        #expect(client.status != 0 && client.standardError.contains("reachable from other machines"), "\(client)")
    }

    @Test func aSecretOpenToOthersStopsTheCoordinatorByName() async throws {
        let folder = try TemporaryFolder()
        let topology = try writeTopology(folder, rounds: 2)
        let keys = folder.file("keys")
        #expect(try await OrchardProcess.run(["keys", "generate", keys, "--hosts", "a"]).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys + "/coordinator.key")
        let outcome = try await OrchardProcess.run([
            "coordinator", "--topology", topology, "--bind", "tcp://0.0.0.0:0", "--keys", keys,
            "--db", folder.file("never.sqlite"),
        ])
        #expect(outcome.status != 0, "\(outcome)")
        #expect(
            outcome.standardError.contains(keys + "/coordinator.key") && outcome.standardError.contains("chmod 600"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.sqlite")))
    }

    @Test func insecureIsSaidLoudly() async throws {
        let folder = try TemporaryFolder()
        let topology = try writeTopology(folder, rounds: 2)
        let outcome = try await OrchardProcess.run([
            "client", "--connect", "tcp://127.0.0.1:1", "--topology", topology, "--clients", "0-99", "--insecure",
        ])
        #expect(outcome.standardError.contains("--insecure: NULL security"), "\(outcome)")
        let both = try await OrchardProcess.run([
            "coordinator", "--topology", topology, "--keys", folder.path, "--insecure",
        ])
        #expect(both.status != 0 && both.standardError.contains("exclude each other"), "\(both)")
    }

    /// A coordinator and a host on separate key files, as on two machines; a host holding a key
    /// the coordinator does not list is left out and the run completes without it.
    @Test func aRunOverCurveCompletesAndAnUnlistedKeyIsLeftOut() async throws {
        let folder = try TemporaryFolder()
        let topology = try writeTopology(folder, rounds: 3)
        let keys = folder.file("keys")
        let strangers = folder.file("strangers")
        #expect(try await OrchardProcess.run(["keys", "generate", keys, "--hosts", "a"]).status == 0)
        #expect(try await OrchardProcess.run(["keys", "generate", strangers, "--hosts", "a"]).status == 0)
        // The stranger trusts the right coordinator but holds a key the allow-list lacks.
        try FileManager.default.removeItem(atPath: strangers + "/coordinator.pub")
        try FileManager.default.copyItem(atPath: keys + "/coordinator.pub", toPath: strangers + "/coordinator.pub")
        let database = folder.file("curve.sqlite")
        let coordinator = try BackgroundOrchard([
            "coordinator", "--topology", topology, "--bind", "tcp://127.0.0.1:*", "--hosts", "1", "--db", database,
            "--keys", keys,
        ])
        let endpoint = try await coordinator.listeningEndpoint()
        let stranger = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-11", "--host-id", "a",
            "--keys", strangers,
        ])
        try await Task.sleep(for: .seconds(1))
        let host = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-11", "--host-id", "a",
            "--keys", keys,
        ])
        while coordinator.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(coordinator.process.terminationStatus == 0, "\(coordinator.errors)")
        host.process.waitUntilExit()
        #expect(host.process.terminationStatus == 0, "\(host.errors)")
        // The stranger never got a word from the coordinator, so it is still waiting.
        #expect(stranger.process.isRunning, "\(stranger.errors)")
        stranger.kill()
        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        #expect(try report.integer("rounds") == 3)
        // The refused handshakes are in the run file, under the peers nobody authenticated.
        let refused = try report.objects("peer_rejections").filter {
            (try? $0.string("peer")) == "unauthenticated peers"
        }
        #expect(!refused.isEmpty)
    }

    /// `orchard run` makes keys for its hosts in a private temporary folder and removes them after.
    @Test func orchardRunAuthenticatesItsHostsWithKeysMadeForTheRun() async throws {
        let folder = try TemporaryFolder()
        let topology = try writeTopology(folder, rounds: 8)
        let temporary = folder.file("tmp")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let database = folder.file("local.sqlite")
        let run = try BackgroundOrchard(
            ["run", topology, "--processes", "2", "--db", database], environment: ["TMPDIR": temporary])
        var seen: String?
        while run.process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
            if let name = names.first(where: { $0.hasPrefix("orchard-run-keys-") }) {
                let keys = temporary + "/" + name
                if FileManager.default.fileExists(atPath: keys + "/hosts/host-1.key") {
                    #expect(try mode(keys) == 0o700 && mode(keys + "/hosts/host-1.key") == 0o600)
                    seen = keys
                    break
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        run.process.waitUntilExit()
        #expect(run.process.terminationStatus == 0, "\(run.errors)")
        #expect(seen != nil, "no key folder appeared in \(temporary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
        let report = try await OrchardProcess.run(["report", database, "--json"]).report()
        #expect(try report.integer("rounds") == 8)
    }
}
