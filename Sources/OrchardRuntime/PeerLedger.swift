/// Rejected messages counted per peer and code, in bounded memory, for the run file and the log.
///
/// A flood of invalid messages must cost neither memory nor log lines in proportion to its size:
/// the ledger tracks at most `maxPeers` peers (the rest are counted together as `other peers`),
/// logs the first rejection of each peer in an interval in one line and the rest as one summary
/// line per peer and interval, answers at most `answersPerInterval` of a peer's messages per
/// interval, and forgets a peer once its counts are taken for the run file.
struct PeerLedger {
    /// One peer's counts since they were last taken.
    struct Entry {
        var peer: String
        var counts: [String: Int] = [:]
        var example: [String: String] = [:]
        /// Rejections since the last log line about this peer.
        var unlogged: [String: Int] = [:]
        var intervalStart: ContinuousClock.Instant
        var answered = 0
        var loggedFirst = false
    }

    /// One peer's count of one code, for the run file.
    struct Count: Equatable {
        var peer: String
        var code: String
        var count: Int
        var example: String
    }

    let summaryInterval: Duration
    var maxPeers = 256
    var answersPerInterval = 10
    /// The most first lines logged in an interval, over all peers; the rest go to the summary.
    var firstLinesPerInterval = 10
    /// The most peers summarised one line each; more are summarised in one line together.
    var summaryLinesPerInterval = 10
    private(set) var entries: [PeerID: Entry] = [:]
    private var firstLines = 0
    private var firstLinesStart: ContinuousClock.Instant?
    /// The key under which peers past `maxPeers` are counted.
    static let overflow: PeerID = []

    init(summaryInterval: Duration) {
        self.summaryInterval = summaryInterval
    }

    /// Counts one message of `peer` under `code`.
    mutating func note(_ peer: PeerID, code: String, example: String, now: ContinuousClock.Instant) {
        var key = peer
        if entries[peer] == nil && entries.count >= maxPeers { key = Self.overflow }
        var entry =
            entries[key]
            ?? Entry(peer: key.isEmpty ? "other peers" : CoordinatorStateMachine.printable(key), intervalStart: now)
        entry.counts[code, default: 0] += 1
        entry.unlogged[code, default: 0] += 1
        if entry.example[code] == nil { entry.example[code] = String(example.prefix(200)) }
        entries[key] = entry
    }

    /// The line to log now for `peer`'s latest rejection, if it is its first in the interval.
    mutating func firstLine(_ peer: PeerID, now: ContinuousClock.Instant) -> String? {
        let key = entries[peer] == nil ? Self.overflow : peer
        guard var entry = entries[key], !entry.loggedFirst else { return nil }
        if let start = firstLinesStart, now - start < summaryInterval {
            guard firstLines < firstLinesPerInterval else { return nil }
        } else {
            (firstLinesStart, firstLines) = (now, 0)
        }
        firstLines += 1
        entry.loggedFirst = true
        let code = entry.unlogged.keys.sorted().first ?? ""
        let line = "peer \(entry.peer): \(code): \(entry.example[code] ?? "")"
        entry.unlogged.removeAll()
        entries[key] = entry
        return line
    }

    /// Whether `peer` may be answered once more in this interval (and counts the answer).
    mutating func mayAnswer(_ peer: PeerID) -> Bool {
        guard var entry = entries[peer], entry.answered < answersPerInterval else { return false }
        entry.answered += 1
        entries[peer] = entry
        return true
    }

    /// One line per peer whose interval ended with rejections not yet logged (one line for all
    /// of them when there are many); starts new intervals.
    mutating func summaries(now: ContinuousClock.Instant) -> [String] {
        var lines: [String] = []
        var together: [String: Int] = [:]
        var peers = 0
        for key in entries.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard var entry = entries[key], now - entry.intervalStart >= summaryInterval else { continue }
            if !entry.unlogged.isEmpty {
                peers += 1
                together.merge(entry.unlogged, uniquingKeysWith: +)
                lines.append(
                    "peer \(entry.peer): \(entry.unlogged.values.reduce(0, +)) more rejected in the last "
                        + "\(CoordinatorStateMachine.seconds(now - entry.intervalStart)): "
                        + Self.describe(entry.unlogged))
            }
            entry.unlogged.removeAll()
            entry.intervalStart = now
            entry.answered = 0
            entry.loggedFirst = false
            entries[key] = entry
        }
        guard lines.count > summaryLinesPerInterval else { return lines }
        return ["\(peers) peers: \(together.values.reduce(0, +)) more rejected: " + Self.describe(together)]
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// The counts since the last call, by peer and code; peers with nothing left to log are forgotten.
    mutating func takeCounts() -> [Count] {
        var counts: [Count] = []
        for key in entries.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            guard var entry = entries[key] else { continue }
            for (code, count) in entry.counts.sorted(by: { $0.key < $1.key }) {
                counts.append(Count(peer: entry.peer, code: code, count: count, example: entry.example[code] ?? ""))
            }
            entry.counts.removeAll()
            entry.example.removeAll()
            entries[key] = entry.unlogged.isEmpty ? nil : entry
        }
        return counts
    }
}
