import Foundation
import OrchardReport
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// The report's hosts, rejected messages and rejected results, in text and JSON.
@Suite("report of hosts and rejections")
struct ReportPeersTests {
    @Test("the text shows each host and each peer's rejections by code, with control characters escaped")
    func text() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        #expect(summary.hosts == PeerRun.expectedHosts)
        #expect(summary.peerRejections == PeerRun.expectedRejections)
        #expect(summary.perRound.map(\.rejected) == [0, 0, 0, 1])
        #expect(summary.clients.map(\.rejected) == [0, 1, 0])

        let text = summary.text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let hosts = try #require(lines.firstIndex(of: "Hosts"))
        #expect(
            Array(lines[(hosts + 1)...(hosts + 4)]) == [
                "host          version  clients  events (round)",
                "0x00a1b2c3d4  -        7        refused 1 (unknown client 7)",
                "host-a        0.1.0    0-1      joined 1",
                "host-b        0.1.1    2        joined 1, lost 3 (\(PeerRun.lostReason)), rejoined 4",
            ], "\(text)")
        let rejections = try #require(lines.firstIndex(of: "Rejected messages (by peer and error code)"))
        #expect(
            Array(lines[(rejections + 1)...(rejections + 4)]) == [
                "peer          code             messages  rounds  example",
                "0x00a1b2c3d4  unauthenticated        42  2-3     \"hello without a key\"",
                "host-b        invalid_result          1  4       \"fc.weight holds NaN\"",
                "host-b        malformed               2  2       \"bad\\u{A}frame\\u{1B}[31m\"",
            ], "\(text)")
        #expect(!text.contains("\u{1B}"), "a peer's escape sequence reached the terminal")

        // The rounds table counts rejected results per round, the clients table per client.
        let rounds = try #require(lines.firstIndex { $0.hasPrefix("round  phase") })
        #expect(lines[rounds].hasSuffix("  rejected") && lines[rounds + 4].hasSuffix("  1"))
        #expect(lines[rounds + 1].hasSuffix("  0"))
        let clients = try #require(lines.firstIndex { $0.hasPrefix("client  group") })
        #expect(lines[clients].contains("  error  rejected  "))
    }

    @Test("the JSON lists hosts with their events and rejections with their rounds, and rejected results")
    func json() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let text = try RunSummary(store: store, run: run).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let hosts = try #require(object["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["host_id"] as? String } == [PeerRun.stranger, "host-a", "host-b"])
        #expect(hosts[0]["software_version"] is NSNull)
        #expect(hosts[2]["software_version"] as? String == "0.1.1" && hosts[2]["clients"] as? String == "2")
        let events = try #require(hosts[2]["events"] as? [[String: Any]])
        #expect(events.map { $0["round"] as? Int } == [1, 3, 4])
        #expect(events.map { $0["event"] as? String } == ["joined", "lost", "rejoined"])
        #expect(events[1]["reason"] as? String == PeerRun.lostReason && events[1]["clients"] is NSNull)

        let rejections = try #require(object["peer_rejections"] as? [[String: Any]])
        #expect(rejections.map { $0["count"] as? Int } == [42, 1, 2])
        #expect(rejections[0]["rounds"] as? [Int] == [2, 3])
        #expect(rejections[0]["code"] as? String == "unauthenticated")
        #expect(rejections[2]["example"] as? String == "bad\\u{A}frame\\u{1B}[31m")

        let rounds = try #require(object["per_round"] as? [[String: Any]])
        #expect(rounds.map { $0["rejected"] as? Int } == [0, 0, 0, 1])
        let clients = try #require(object["clients"] as? [[String: Any]])
        #expect(clients.map { $0["rejected"] as? Int } == [0, 1, 0])
        #expect(clients[1]["error"] as? Int == 0)
    }

    @Test("a run without host records or rejections shows no such section, and empty lists in JSON")
    func none() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try SyntheticRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        let summary = try RunSummary(store: store, run: run)
        let text = summary.text()
        #expect(!text.contains("Hosts") && !text.contains("Rejected messages"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first { $0.hasPrefix("round  phase") }?.contains("rejected") == false)
        let json = try summary.json()
        #expect(json.contains("\"hosts\":[]") && json.contains("\"peer_rejections\":[]"))
    }

    @Test("a host of many events shows the first and last ones; its hostile id stays on one line")
    func manyEvents() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try RunStore.create(at: folder.file("run.sqlite"))
        defer { try? store.close() }
        let run = try store.startRun(SyntheticRun.info)
        let events = (0..<10).map { index in
            HostEventRecord(hostID: "evil\nhost", event: index % 2 == 0 ? .rejoined : .lost, reason: "#\(index)")
        }
        try store.commitRound(
            RoundCommit(
                round: RoundRecord(
                    round: 1, phase: "train", simStart: 0, simSeconds: 1, wallSeconds: 1, coordinatorSeconds: 0,
                    sampled: 0, answered: 0, dropped: 0),
                hostEvents: events),
            run: run)
        let text = try RunSummary(store: store, run: run).text()
        let lines = text.split(separator: "\n").map(String.init)
        let hosts = try #require(lines.firstIndex(of: "Hosts"))
        #expect(
            lines[hosts + 2]
                == "evil\\u{A}host  -        -        rejoined 1 (#0), lost 1 (#1), rejoined 1 (#2), lost 1 (#3), "
                + "... 2 more ..., rejoined 1 (#6), lost 1 (#7), rejoined 1 (#8), lost 1 (#9)", "\(text)")
    }
}
