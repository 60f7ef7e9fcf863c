import Foundation
import OrchardStore
import OrchardStoreTestSupport
import OrchardTestSupport
import Testing

/// What the coordinator records of hosts and hostile peers (schema v3): rejected results, host
/// events and rejected-message counts, committed with their round, deleted with it, summed for
/// the report, and checked before they reach SQLite.
@Suite("peer records")
struct PeerRecordsTests {
    @Test("rejected tasks, host events and rejection counts read back with their round")
    func roundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        for round in 1...4 {
            var expected = PeerRun.commit(round: round).sortedLayers
            // Rejection counts come back ordered by peer and code.
            expected.peerRejections.sort { ($0.peer, $0.code) < ($1.peer, $1.code) }
            #expect(try store.roundCommit(run: run, round: round) == expected)
        }
        let round4 = try #require(try store.roundCommit(run: run, round: 4))
        #expect(round4.clientRounds[1].status == .rejected)
        #expect(round4.clientRounds[1].reason == "fc.weight holds NaN")
        // The control characters of the example were escaped when the record was made.
        let round2 = try #require(try store.roundCommit(run: run, round: 2))
        #expect(round2.peerRejections.map(\.example) == ["hello without a key", "bad\\u{A}frame\\u{1B}[31m"])
    }

    @Test("the run's hosts, rejections and rejected tasks are summed by host, by peer and code, by round")
    func sums() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"))
        defer { try? store.close() }
        #expect(try store.hostHistories(run: run) == PeerRun.expectedHosts)
        #expect(try store.peerRejectionTotals(run: run) == PeerRun.expectedRejections)
        #expect(
            try store.roundTasks(run: run) == [
                RoundTasks(round: 1, byStatus: [.ok: 3]),
                RoundTasks(round: 2, byStatus: [.ok: 1, .dropped: 1, .timeout: 1]),
                RoundTasks(round: 3, byStatus: [.ok: 2, .refused: 1]),
                RoundTasks(round: 4, byStatus: [.ok: 2, .rejected: 1]),
            ])
        let client1 = try #require(try store.clientActivity(run: run).first { $0.clientID == 1 })
        #expect(client1.rejected == 1 && client1.failed == 0 && client1.tasks == 4)
    }

    @Test("resuming deletes the host events and rejection counts of the rounds it replays")
    func resume() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        // The checkpoint of round 2 is the latest: round 3 goes, with its loss of host-b and its rejections.
        #expect(try store.prepareResume(run: run).nextRound == 3)
        #expect(try store.hostHistories(run: run).flatMap { $0.events.map(\.round) } == [1, 1, 1])
        #expect(try store.peerRejectionTotals(run: run).map(\.rounds) == [[2], [2]])
        try store.commitRound(PeerRun.commit(round: 3), run: run)
        try store.commitRound(PeerRun.commit(round: 4), run: run)
        #expect(try store.hostHistories(run: run) == PeerRun.expectedHosts)
        #expect(try store.peerRejectionTotals(run: run) == PeerRun.expectedRejections)
    }

    @Test(
        "a commit whose host events or rejection counts are wrong is refused, naming the record",
        arguments: [
            ("empty host", "host event 0 has an empty host id"),
            ("bad clients", "host event 0 (host-a): clients '3-1' are not ranges such as 0-9,20"),
            ("empty peer", "peer rejection 0 lacks a peer or a code"),
            ("empty code", "peer rejection 0 lacks a peer or a code"),
            ("negative count", "peer rejection 0 (host-a, malformed) has a negative count"),
            ("twice", "peer host-a has two rejection records of code malformed"),
        ])
    func invalid(_ case: (name: String, problem: String)) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let (store, run) = try PeerRun.write(to: folder.file("run.sqlite"), rounds: 3)
        defer { try? store.close() }
        var commit = PeerRun.commit(round: 4)
        commit.hostEvents = []
        commit.peerRejections = []
        let rejection = PeerRejectionRecord(peer: "host-a", code: "malformed", count: 1)
        switch `case`.name {
        case "empty host": commit.hostEvents = [HostEventRecord(hostID: "", event: .joined)]
        case "bad clients": commit.hostEvents = [HostEventRecord(hostID: "host-a", event: .joined, clients: "3-1")]
        case "empty peer": commit.peerRejections = [PeerRejectionRecord(peer: "", code: "malformed", count: 1)]
        case "empty code": commit.peerRejections = [PeerRejectionRecord(peer: "host-a", code: "", count: 1)]
        case "negative count":
            commit.peerRejections = [PeerRejectionRecord(peer: "host-a", code: "malformed", count: -1)]
        default: commit.peerRejections = [rejection, rejection]
        }
        #expect(throws: StoreError.invalidRecord(path: store.path, detail: "round 4 of run \(run): \(`case`.problem)"))
        {
            try store.commitRound(commit, run: run)
        }
        #expect(try store.lastCommittedRound(run: run) == 3)
    }

    @Test("an example is escaped and cut to 200 characters, whether given at first or set later")
    func example() {
        var record = PeerRejectionRecord(
            peer: "p", code: "malformed", count: 1, example: String(repeating: "x", count: 500))
        #expect(record.example == String(repeating: "x", count: 200))
        record.example = "a\u{0}b\r\n"
        #expect(record.example == "a\\u{0}b\\u{D}\\u{A}")
        record.example = ""
        #expect(record.example == nil)
        #expect(
            PeerRejectionRecord(peer: "p", code: "c", count: 0, example: String(repeating: "\u{1B}", count: 300))
                .example == String(repeating: "\\u{1B}", count: 200).prefix(200).description)
        #expect(
            HostEventRecord(hostID: "h", event: .lost, softwareVersion: "", clients: "", reason: "")
                == HostEventRecord(hostID: "h", event: .lost))
    }

    @Test("a peer is named by its routing id when that is printable text, else by its hex")
    func peerNames() {
        #expect(PeerRejectionRecord.peer(routingID: Array("host-a".utf8)) == "host-a")
        #expect(PeerRejectionRecord.peer(routingID: [0x00, 0xA1, 0xB2, 0xC3, 0xD4]) == "0x00a1b2c3d4")
        #expect(PeerRejectionRecord.peer(routingID: [0xFF, 0x41]) == "0xff41")
        #expect(PeerRejectionRecord.peer(routingID: Array("a\nb".utf8)) == "0x610a62")
        #expect(PeerRejectionRecord.peer(routingID: [UInt8]()) == "0x")
    }

    @Test("sets of ids are written as ascending merged ranges, and only the notation is valid")
    func ranges() {
        #expect(IntegerRanges.text([3, 0, 1, 2, 20, 9, 9, -1]) == "0-3,9,20")
        #expect(IntegerRanges.text([Int]()) == "")
        #expect(IntegerRanges.text([7]) == "7")
        for valid in ["0-9,20", "5", "0-0", "3,1"] { #expect(IntegerRanges.isValid(valid), "\(valid)") }
        for invalid in ["", "3-1", "a", "1,,2", "1-2-3", "-1", "+1", "1-", " 1", "99999999999999999999", "١"] {
            #expect(!IntegerRanges.isValid(invalid), "\(invalid)")
        }
    }
}
