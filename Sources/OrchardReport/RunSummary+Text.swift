import OrchardStore

extension RunSummary {
    /// The summary for people: the run, its headline figures, then tables of rounds, messages,
    /// clients, the figures clients reported beyond the standard ones, hosts, rejected messages, and
    /// the masks' health, candidate selections and notes on what the figures cannot be trusted for.
    ///
    /// Tables longer than `maxRows` show their first and last rows and say how many were left out.
    /// The memory columns of the client table appear only when the run recorded memory figures, the
    /// rounds table's `rejected` column only when some result was rejected.
    public func text(maxRows: Int = 20) -> String {
        var lines = header() + [""] + figures()
        lines += ["", "Rounds"] + roundTable().render(limit: maxRows, noun: "round")
        if !traffic.isEmpty {
            lines += ["", "Messages"] + trafficTable().render(limit: maxRows, noun: "kind")
        }
        if !clients.isEmpty {
            lines += ["", "Clients"] + clientTable().render(limit: maxRows, noun: "client")
        }
        if !personalAccuracy.isEmpty {
            lines += ["", "Personal accuracy (each client's model on its held-out split; spread over clients)"]
            lines += personalTable().render(limit: maxRows, noun: "round")
        }
        if !clientMetrics.isEmpty {
            lines += ["", "Client metrics (each round's mean over the clients that reported it)"]
            lines += metricTable().render(limit: maxRows, noun: "metric")
        }
        if !hosts.isEmpty {
            lines += ["", "Hosts"] + hostTable().render(limit: maxRows, noun: "host")
        }
        if !peerRejections.isEmpty {
            lines += ["", "Rejected messages (by peer and error code)"]
            lines += rejectionTable().render(limit: maxRows, noun: "rejection")
        }
        if !linkTimes.isEmpty {
            lines += ["", "Link times (measured on the network, predicted by the virtual clock), by group"]
            lines += linkGroupTable().render(limit: maxRows, noun: "group")
            lines += ["", "Link times by round and group"] + linkRoundTable().render(limit: maxRows, noun: "row")
        }
        lines += healthSections(maxRows: maxRows)
        return lines.joined(separator: "\n") + "\n"
    }

    private func header() -> [String] {
        let info = run.info
        let processes = ReportFormat.counted(info.processes, "process", plural: "processes")
        var lines = [
            "Run \(run.id) of \(file): \(info.name) (\(run.status.rawValue))",
            "  method \(info.method), model \(info.model), data set \(info.dataset), seed \(info.seed), "
                + "\(ReportFormat.counted(clientCount, "client")), \(processes), \(info.orchardVersion)",
            "  topology sha256 \(run.topologySHA256)",
        ]
        var times = "  started \(ReportFormat.iso8601(info.startedAt))"
        if let endedAt = run.endedAt { times += ", ended \(ReportFormat.iso8601(endedAt))" }
        if run.resumeCount > 0 { times += ", resumed \(ReportFormat.counted(run.resumeCount, "time"))" }
        lines.append(times)
        if let detail = run.statusDetail { lines.append("  \(detail)") }
        return lines
    }

    private func figures() -> [String] {
        var figures: [(String, String)] = [("Rounds", "\(rounds) of \(run.info.plannedRounds) planned")]
        if let finalAccuracy, let round = finalAccuracyRound {
            let loss = finalTestLoss.map { ", test loss \(ReportFormat.decimal($0, 4))" } ?? ""
            figures.append(("Final accuracy", "\(ReportFormat.percent(finalAccuracy)) (round \(round))\(loss)"))
        } else {
            figures.append(("Final accuracy", "- (no round evaluated the global model)"))
        }
        if let bestAccuracy, let round = bestAccuracyRound {
            figures.append(("Best accuracy", "\(ReportFormat.percent(bestAccuracy)) (round \(round))"))
        }
        if let finalDensity { figures.append(("Final density", ReportFormat.decimal(finalDensity, 4))) }
        if let personal = finalPersonalAccuracy {
            figures.append(
                (
                    "Personal accuracy",
                    "mean \(ReportFormat.percent(personal.mean)), p10 \(ReportFormat.percent(personal.p10)), "
                        + "p90 \(ReportFormat.percent(personal.p90)) over \(ReportFormat.counted(personal.clients, "client")) "
                        + "(round \(personal.round))"
                ))
        }
        figures.append(("Bytes down", sized(bytesDown)))
        figures.append(("Bytes up", sized(bytesUp)))
        figures.append(("Messages", ReportFormat.grouped(messages)))
        if let analyticMinBytes {
            let ratio = analyticMinBytes > 0 ? Double(bytesWithAnalytic) / Double(analyticMinBytes) : nil
            figures.append(
                (
                    "Analytic minimum",
                    "\(sized(analyticMinBytes)) for messages of \(ReportFormat.bytes(bytesWithAnalytic)) on the wire"
                        + (ratio.map { " (wire / minimum \(ReportFormat.decimal($0, 3)))" } ?? "")
                ))
        }
        figures.append(("Simulated time", ReportFormat.seconds(simSeconds)))
        figures.append(
            ("Wall time", "\(ReportFormat.seconds(wallSeconds)) (rounds \(ReportFormat.seconds(roundsWallSeconds)))"))
        figures.append(
            (
                "Coordinator overhead",
                coordinatorOverheadFraction.map {
                    "\(ReportFormat.percent($0)) of the rounds' wall time (\(ReportFormat.seconds(coordinatorSeconds)))"
                } ?? ReportFormat.missing
            ))
        if let finalModelSHA256, let checkpointRound {
            figures.append(("Final model sha256", "\(finalModelSHA256) (checkpoint of round \(checkpointRound))"))
        } else if let checkpointRound {
            figures.append(("Final model sha256", "- (the latest checkpoint is of round \(checkpointRound))"))
        } else {
            figures.append(("Final model sha256", "- (no checkpoint)"))
        }
        let width = figures.map(\.0.count).max() ?? 0
        return figures.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }
    }

    /// A size in binary units and in bytes, such as `1.2 MiB (1,234,567 B)`.
    private func sized(_ count: Int) -> String {
        count < 1024 ? "\(count) B" : "\(ReportFormat.bytes(count)) (\(ReportFormat.grouped(count)) B)"
    }

    private func roundTable() -> TextTable {
        let showAnalytic = analyticMinBytes != nil
        let showRejected = perRound.contains { $0.rejected > 0 }
        var columns: [TextTable.Column] = [
            .number("round"), .text("phase"), .number("sampled"), .number("answered"), .number("sim s"),
            .number("wall s"), .number("accuracy"), .number("test loss"), .number("train loss"), .number("density"),
            .number("down"), .number("up"),
        ]
        if showAnalytic { columns.append(.number("analytic")) }
        if showRejected { columns.append(.number("rejected")) }
        var table = TextTable(columns)
        for line in perRound {
            let round = line.record
            var cells = [
                "\(round.round)", round.phase, "\(round.sampled)", "\(round.answered)",
                ReportFormat.decimal(round.simSeconds, 2), ReportFormat.decimal(round.wallSeconds, 2),
                ReportFormat.percent(round.testAccuracy), ReportFormat.decimal(round.testLoss, 4),
                ReportFormat.decimal(round.trainLoss, 4), ReportFormat.decimal(round.globalDensity, 4),
                ReportFormat.bytes(line.bytesDown), ReportFormat.bytes(line.bytesUp),
            ]
            if showAnalytic { cells.append(ReportFormat.bytes(line.analyticMinBytes)) }
            if showRejected { cells.append("\(line.rejected)") }
            table.append(cells)
        }
        return table
    }

    private func trafficTable() -> TextTable {
        var table = TextTable([
            .text("direction"), .text("kind"), .text("encoding"), .number("messages"), .number("bytes"),
            .number("analytic"),
        ])
        for group in traffic {
            table.append([
                group.direction.rawValue, group.kind, group.encoding, ReportFormat.grouped(group.messages),
                ReportFormat.bytes(group.bytes), ReportFormat.bytes(group.analyticBytes),
            ])
        }
        return table
    }

    private func clientTable() -> TextTable {
        var columns: [TextTable.Column] = [
            .number("client"), .text("group"), .number("sampled"), .number("ok"), .number("dropped"),
            .number("timeout"), .number("refused"), .number("error"), .number("rejected"), .number("down"),
            .number("up"),
            .number("mean loss"),
        ]
        if recordsMemory {
            columns += [.number("budget"), .number("predicted peak"), .number("measured peak")]
        }
        var table = TextTable(columns)
        for client in clients {
            var cells = [
                "\(client.clientID)", client.group, "\(client.roundsSampled)", "\(client.ok)", "\(client.dropped)",
                "\(client.timedOut)", "\(client.refused)", "\(client.failed)", "\(client.rejected)",
                ReportFormat.bytes(client.bytesDown),
                ReportFormat.bytes(client.bytesUp), ReportFormat.decimal(client.meanLoss, 4),
            ]
            if recordsMemory {
                cells += [
                    ReportFormat.bytes(client.memoryBudgetBytes), ReportFormat.bytes(client.maxPredictedPeakBytes),
                    ReportFormat.bytes(client.maxMeasuredPeakBytes),
                ]
            }
            table.append(cells)
        }
        return table
    }
}
