import Foundation
import OrchardTestSupport
import Testing

@Suite("many clients end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct ManyClientsRunTests {
    /// 30,000 clients: past the 22,600 at which a hello listing every id outgrew the envelope.
    static let topology = smallTopology(
        rounds: 2,
        groups: """
              - {name: phones, count: 20000, availability: 50%}
              - {name: laptops, count: 10000, link: {up: 50Mbps, down: 100Mbps}}
            """,
        clientsPerRound: 4
    ).replacingOccurrences(of: "model: mlp", with: "model: logreg")

    @Test func thirtyThousandClientsRunOnOneOrTwoHostsToTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("many.yaml")
        try Self.topology.write(toFile: topology, atomically: true, encoding: .utf8)
        var hashes: [String] = []
        for processes in [1, 2] {
            let database = folder.file("run-\(processes).sqlite")
            let outcome = try await OrchardProcess.run([
                "run", topology, "--processes", "\(processes)", "--db", database,
            ])
            #expect(outcome.status == 0, "\(outcome)")
            let report = try await OrchardProcess.run(["report", database, "--json"]).report()
            #expect(try report.integer("rounds") == 2)
            hashes.append(try report.string("final_model_sha256"))
        }
        #expect(hashes.count == 2 && Set(hashes).count == 1, "\(hashes)")
    }
}
