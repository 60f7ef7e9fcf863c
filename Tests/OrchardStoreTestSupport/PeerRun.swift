import Foundation
import OrchardStore

/// `SyntheticRun` with what a coordinator records of its hosts and of hostile peers.
///
/// | round | host events | rejections (peer, code, count) | tasks |
/// |---|---|---|---|
/// | 1 | host-a joined (0.1.0, 0-1), host-b joined (0.1.0, 2), 0x00a1b2c3d4 refused (7) | - | as `SyntheticRun` |
/// | 2 | - | 0x00a1b2c3d4 unauthenticated 40, host-b malformed 2 | as `SyntheticRun` |
/// | 3 | host-b lost | 0x00a1b2c3d4 unauthenticated 2 (no example) | as `SyntheticRun` |
/// | 4 | host-b rejoined (0.1.1, 2) | host-b invalid_result 1 | client 1 rejected instead of failed |
public enum PeerRun {
    public static let stranger = "0x00a1b2c3d4"
    public static let lostReason = "silent for 30 s, liveness 3 x 10 s"

    public static func commit(round: Int) -> RoundCommit {
        var commit = SyntheticRun.commit(round: round)
        switch round {
        case 1:
            commit.hostEvents = [
                HostEventRecord(hostID: "host-a", event: .joined, softwareVersion: "0.1.0", clients: "0-1"),
                HostEventRecord(hostID: "host-b", event: .joined, softwareVersion: "0.1.0", clients: "2"),
                HostEventRecord(hostID: stranger, event: .refused, clients: "7", reason: "unknown client 7"),
            ]
        case 2:
            commit.peerRejections = [
                PeerRejectionRecord(peer: "host-b", code: "malformed", count: 2, example: "bad\nframe\u{1B}[31m"),
                PeerRejectionRecord(peer: stranger, code: "unauthenticated", count: 40, example: "hello without a key"),
            ]
        case 3:
            commit.hostEvents = [HostEventRecord(hostID: "host-b", event: .lost, reason: lostReason)]
            commit.peerRejections = [PeerRejectionRecord(peer: stranger, code: "unauthenticated", count: 2)]
        default:
            commit.hostEvents = [
                HostEventRecord(hostID: "host-b", event: .rejoined, softwareVersion: "0.1.1", clients: "2")
            ]
            commit.clientRounds[1].status = .rejected
            commit.clientRounds[1].reason = "fc.weight holds NaN"
            commit.peerRejections = [
                PeerRejectionRecord(peer: "host-b", code: "invalid_result", count: 1, example: "fc.weight holds NaN")
            ]
        }
        return commit
    }

    public static let expectedHosts = [
        HostHistory(
            hostID: stranger, softwareVersion: nil, clients: "7",
            events: [HostHistory.Event(round: 1, record: commit(round: 1).hostEvents[2])]),
        HostHistory(
            hostID: "host-a", softwareVersion: "0.1.0", clients: "0-1",
            events: [HostHistory.Event(round: 1, record: commit(round: 1).hostEvents[0])]),
        // The latest version and clients: those of the rejoin.
        HostHistory(
            hostID: "host-b", softwareVersion: "0.1.1", clients: "2",
            events: [
                HostHistory.Event(round: 1, record: commit(round: 1).hostEvents[1]),
                HostHistory.Event(round: 3, record: commit(round: 3).hostEvents[0]),
                HostHistory.Event(round: 4, record: commit(round: 4).hostEvents[0]),
            ]),
    ]

    public static let expectedRejections = [
        // 40 + 2; the first example.
        PeerRejectionTotal(
            peer: stranger, code: "unauthenticated", count: 42, rounds: [2, 3], example: "hello without a key"),
        PeerRejectionTotal(
            peer: "host-b", code: "invalid_result", count: 1, rounds: [4], example: "fc.weight holds NaN"),
        PeerRejectionTotal(
            peer: "host-b", code: "malformed", count: 2, rounds: [2], example: "bad\\u{A}frame\\u{1B}[31m"),
    ]

    /// Creates `path` and writes the first `rounds` rounds; finishes the run as completed after round 4.
    public static func write(to path: String, rounds: Int = 4) throws -> (RunStore, RunID) {
        let store = try RunStore.create(at: path)
        let run = try store.startRun(SyntheticRun.info)
        try store.registerClients(SyntheticRun.clients, run: run)
        for round in stride(from: 1, through: rounds, by: 1) { try store.commitRound(commit(round: round), run: run) }
        if rounds == 4 { try store.finishRun(run, status: .completed, at: SyntheticRun.endedAt) }
        return (store, run)
    }
}
