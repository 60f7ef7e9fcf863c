/// What happened to a client host (the `host_events.event` column).
public enum HostEvent: String, CaseIterable, Sendable, Codable {
    /// The host said hello and was welcomed.
    case joined
    /// A host that had joined before said hello again (it reconnected, or came back after being
    /// lost) and was welcomed.
    case rejoined
    /// The host was presumed lost (silent past the liveness bound, or gone); the reason says why.
    case lost
    /// The host's hello was refused; the reason says why.
    case refused
}

/// One event of a client host during a round (a row of `host_events`; the round is the commit's).
///
/// The strings are recorded as given; `hostID`, `softwareVersion` and `reason` may come from a
/// peer, so a reader must treat them as untrusted text.
public struct HostEventRecord: Sendable, Equatable {
    /// The host's id, not empty: the hello's `host_id`, or, for a hello refused before it named
    /// one, the peer's name as `PeerRejectionRecord.peer(routingID:)` gives it.
    public var hostID: String
    /// What happened.
    public var event: HostEvent
    /// The software version the host's hello gave, if any.
    public var softwareVersion: String?
    /// The clients the host serves (or asked to serve, when refused) as ascending ranges, such as
    /// `0-9,20`: `IntegerRanges.text(_:)` of their ids.
    public var clients: String?
    /// Why: the check a refused hello failed, how a lost host was found to be lost.
    public var reason: String?

    /// A host's event; an empty software version, client list or reason is recorded as none.
    public init(
        hostID: String, event: HostEvent, softwareVersion: String? = nil, clients: String? = nil,
        reason: String? = nil
    ) {
        self.hostID = hostID
        self.event = event
        self.softwareVersion = softwareVersion.flatMap { $0.isEmpty ? nil : $0 }
        self.clients = clients.flatMap { $0.isEmpty ? nil : $0 }
        self.reason = reason.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// The messages of one peer that the coordinator rejected with one error code during a round (a
/// row of `peer_rejections`; the round is the commit's).
public struct PeerRejectionRecord: Sendable, Equatable {
    /// The longest example kept, in characters.
    public static let exampleLimit = 200

    /// The peer, not empty: its host id, or `0x` and the hex of its routing id when that is not
    /// printable text (`peer(routingID:)`).
    public var peer: String
    /// The protocol's error code name, not empty: `malformed`, `limit_exceeded`,
    /// `unexpected_message`, `unknown_client`, `invalid_result`, `unauthenticated`, ...
    public var code: String
    /// How many of the peer's messages were rejected with this code during the round, zero or more.
    public var count: Int
    /// One of them, described for people (such as the error sent back), with control characters
    /// escaped and cut to `exampleLimit` characters; `nil` if none was kept.
    public var example: String? {
        didSet { example = Self.bounded(example) }
    }

    /// A peer's rejections of one code; `example` is escaped and cut to `exampleLimit` characters.
    public init(peer: String, code: String, count: Int, example: String? = nil) {
        self.peer = peer
        self.code = code
        self.count = count
        self.example = Self.bounded(example)
    }

    /// The name of a peer known only by its ZeroMQ routing id: the id itself when it is non-empty
    /// UTF-8 without control characters (Orchard hosts use their host id), else `0x` and its bytes
    /// in lowercase hex (ZeroMQ's generated ids begin with a zero byte).
    public static func peer(routingID: some Collection<UInt8>) -> String {
        if !routingID.isEmpty, let text = String(validating: routingID, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            return text
        }
        let digits: [Character] = Array("0123456789abcdef")
        return "0x" + String(routingID.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// `text` with its control characters escaped and cut to `exampleLimit` characters; `nil` for
    /// none or an empty text.
    static func bounded(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        // A character of a hostile text may hold many scalars; the escaping need not go on for long.
        let escaped = UntrustedText.escaped(text, maxScalars: 16 * exampleLimit)
        return escaped.count > exampleLimit ? String(escaped.prefix(exampleLimit)) : escaped
    }
}

/// Text that came from a peer, made safe to print and to store.
public enum UntrustedText {
    /// `text` with every control character (line breaks, escape, NUL, ...) written as `\u{1B}`, so
    /// that it stays on one line and cannot drive a terminal; the result stops before it would
    /// exceed `maxScalars` Unicode scalars.
    public static func escaped(_ text: String, maxScalars: Int = .max) -> String {
        var escaped = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            let piece =
                scalar.properties.generalCategory == .control
                ? Array("\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars) : [scalar]
            guard count + piece.count <= maxScalars else { break }
            escaped.append(contentsOf: piece)
            count += piece.count
        }
        return String(escaped)
    }
}

/// Sets of whole numbers (client ids, rounds) written as ascending ranges, such as `0-9,20`.
public enum IntegerRanges {
    /// `values` as ascending, merged ranges, such as `0-3,9,20` for `[3, 0, 1, 2, 20, 9]`.
    ///
    /// None gives an empty text. Values below zero, which the notation cannot tell from a range,
    /// are left out.
    public static func text(_ values: some Sequence<Int>) -> String {
        var ranges: [ClosedRange<Int>] = []
        for value in Set(values).filter({ $0 >= 0 }).sorted() {
            if let last = ranges.last, last.upperBound == value - 1 {
                ranges[ranges.count - 1] = last.lowerBound...value
            } else {
                ranges.append(value...value)
            }
        }
        return ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }

    /// Whether `text` is in the notation: comma-separated items, each a number or `N-M` with
    /// N at most M, in ASCII digits.
    public static func isValid(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        return text.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { item in
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count) else { return false }
            let numbers = bounds.map { bound -> Int? in
                bound.allSatisfy { $0.isASCII && $0.isNumber } ? Int(bound) : nil
            }
            guard let low = numbers.first ?? nil, let high = numbers.last ?? nil else { return false }
            return low <= high
        }
    }
}
