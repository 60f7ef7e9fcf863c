import OrchardStore

extension RunSummary {
    /// The most events a host's line shows: the first and last halves, and how many are left out.
    static let eventsShown = 8

    /// One line per host: its latest version and clients, and its events with their rounds and reasons.
    func hostTable() -> TextTable {
        var table = TextTable([.text("host"), .text("version"), .text("clients"), .text("events (round)")])
        for host in hosts {
            var events = host.events.map { event in
                let reason = event.record.reason.map { " (\(ReportFormat.oneLine($0)))" } ?? ""
                return "\(event.record.event.rawValue) \(event.round)\(reason)"
            }
            if events.count > Self.eventsShown {
                let hidden = events.count - Self.eventsShown
                events =
                    events.prefix(Self.eventsShown / 2) + ["... \(hidden) more ..."]
                    + events.suffix(Self.eventsShown / 2)
            }
            table.append([
                ReportFormat.oneLine(host.hostID),
                host.softwareVersion.map { ReportFormat.oneLine($0) } ?? ReportFormat.missing,
                host.clients.map { ReportFormat.oneLine($0) } ?? ReportFormat.missing, events.joined(separator: ", "),
            ])
        }
        return table
    }

    /// One line per peer and error code: the messages rejected, the rounds, and an example.
    func rejectionTable() -> TextTable {
        var table = TextTable([
            .text("peer"), .text("code"), .number("messages"), .text("rounds"), .text("example"),
        ])
        for rejection in peerRejections {
            table.append([
                ReportFormat.oneLine(rejection.peer), ReportFormat.oneLine(rejection.code),
                ReportFormat.grouped(rejection.count),
                ReportFormat.oneLine(IntegerRanges.text(rejection.rounds), limit: 40),
                rejection.example.map { "\"\(ReportFormat.oneLine($0, limit: PeerRejectionRecord.exampleLimit))\"" }
                    ?? ReportFormat.missing,
            ])
        }
        return table
    }
}
