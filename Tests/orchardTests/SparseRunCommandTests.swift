import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// Methods whose masks move, end to end: the same model with any number of processes, and after a
/// stop and a resume, whose checkpoint must carry the masks.
@Suite("sparse methods end to end", .serialized)
struct SparseRunCommandTests {
    static let method = "{name: feddst, density: 20%, delta: 2, t_end: 10}"

    func finalHash(_ database: String) async throws -> String {
        try await OrchardProcess.run(["report", database, "--json"]).report().string("final_model_sha256")
    }

    @Test func processesAndAStopWithResumeGiveTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("sparse.yaml")
        try smallTopology(rounds: 16, checkpointEvery: 3, method: Self.method)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let one = folder.file("one.sqlite")
        let two = folder.file("two.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", one]).status == 0)
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", two]).status == 0)
        let reference = try await finalHash(one)
        #expect(try await finalHash(two) == reference)
        let report = try await OrchardProcess.run(["report", two, "--json"]).report()
        #expect(try report.number("final_density") < 0.25)

        let stopped = folder.file("stopped.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", stopped])
        try await waitForRound(7, in: stopped)
        Foundation.kill(run.process.processIdentifier, SIGINT)
        run.process.waitUntilExit()
        let resumed = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", stopped, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try await finalHash(stopped) == reference)
    }
}
