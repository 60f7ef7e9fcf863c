import Foundation
import OrchardStore

extension RunSummary: Encodable {
    /// The summary as one JSON object on one line, keys sorted, for scripts that compare runs.
    ///
    /// A figure the run did not record is `null`, never absent, so that every key is always there;
    /// a non-finite number (a diverged loss) is `null` too. Times are seconds; dates are ISO 8601.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private enum Key: String, CodingKey {
        case file, run_id, name, method, model, dataset, seed, orchard_version, topology_sha256, status, status_detail
        case started_at, ended_at, resume_count, planned_rounds, client_count, processes, checkpoint_interval
        case rounds, last_round, final_accuracy, final_accuracy_round, final_test_loss, best_accuracy
        case best_accuracy_round, final_density, messages, bytes_down, bytes_up, analytic_min_bytes
        case bytes_with_analytic, sim_seconds, wall_seconds, rounds_wall_seconds, coordinator_seconds
        case coordinator_overhead_fraction, checkpoint_round, final_model_sha256, per_round, traffic, clients
        case client_metrics, hosts, peer_rejections, link_times, link_times_per_round, mask_health
        case candidate_selections, notes, personal_accuracy, final_personal_accuracy
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let info = run.info
        try container.encode(file, forKey: .file)
        try container.encode(run.id.rawValue, forKey: .run_id)
        try container.encode(info.name, forKey: .name)
        try container.encode(info.method, forKey: .method)
        try container.encode(info.model, forKey: .model)
        try container.encode(info.dataset, forKey: .dataset)
        try container.encode(info.seed, forKey: .seed)
        try container.encode(info.orchardVersion, forKey: .orchard_version)
        try container.encode(run.topologySHA256, forKey: .topology_sha256)
        try container.encode(run.status.rawValue, forKey: .status)
        try container.encode(run.statusDetail, forKey: .status_detail)
        try container.encode(ReportFormat.iso8601(info.startedAt), forKey: .started_at)
        try container.encode(run.endedAt.map(ReportFormat.iso8601), forKey: .ended_at)
        try container.encode(run.resumeCount, forKey: .resume_count)
        try container.encode(info.plannedRounds, forKey: .planned_rounds)
        try container.encode(info.processes, forKey: .processes)
        try container.encode(info.checkpointInterval, forKey: .checkpoint_interval)
        try container.encode(clientCount, forKey: .client_count)
        try container.encode(rounds, forKey: .rounds)
        try container.encode(lastRound, forKey: .last_round)
        try container.encode(finiteOrNil(finalAccuracy), forKey: .final_accuracy)
        try container.encode(finalAccuracyRound, forKey: .final_accuracy_round)
        try container.encode(finiteOrNil(finalTestLoss), forKey: .final_test_loss)
        try container.encode(finiteOrNil(bestAccuracy), forKey: .best_accuracy)
        try container.encode(bestAccuracyRound, forKey: .best_accuracy_round)
        try container.encode(finiteOrNil(finalDensity), forKey: .final_density)
        try container.encode(messages, forKey: .messages)
        try container.encode(bytesDown, forKey: .bytes_down)
        try container.encode(bytesUp, forKey: .bytes_up)
        try container.encode(analyticMinBytes, forKey: .analytic_min_bytes)
        try container.encode(bytesWithAnalytic, forKey: .bytes_with_analytic)
        try container.encode(finiteOrNil(simSeconds), forKey: .sim_seconds)
        try container.encode(finiteOrNil(wallSeconds), forKey: .wall_seconds)
        try container.encode(finiteOrNil(roundsWallSeconds), forKey: .rounds_wall_seconds)
        try container.encode(finiteOrNil(coordinatorSeconds), forKey: .coordinator_seconds)
        try container.encode(finiteOrNil(coordinatorOverheadFraction), forKey: .coordinator_overhead_fraction)
        try container.encode(checkpointRound, forKey: .checkpoint_round)
        try container.encode(finalModelSHA256, forKey: .final_model_sha256)
        try container.encode(perRound.map(RoundJSON.init), forKey: .per_round)
        try container.encode(traffic.map(TrafficJSON.init), forKey: .traffic)
        try container.encode(clients.map(ClientJSON.init), forKey: .clients)
        try container.encode(clientMetrics.map(MetricJSON.init), forKey: .client_metrics)
        try container.encode(hosts.map(HostJSON.init), forKey: .hosts)
        try container.encode(peerRejections.map(RejectionJSON.init), forKey: .peer_rejections)
        try container.encode(linkTimeGroups.map(LinkTimeJSON.init), forKey: .link_times)
        try container.encode(linkTimes.map(LinkTimeJSON.init), forKey: .link_times_per_round)
        try container.encode(maskHealth.map(MaskHealthJSON.init), forKey: .mask_health)
        try container.encode(candidateSelections.map(SelectionJSON.init), forKey: .candidate_selections)
        try container.encode(healthNotes, forKey: .notes)
        try container.encode(personalAccuracy.map(PersonalJSON.init), forKey: .personal_accuracy)
        try container.encode(finalPersonalAccuracy.map(PersonalJSON.init), forKey: .final_personal_accuracy)
    }
}

/// `value` if it is a finite number, else `nil`: JSON has no NaN or infinity.
private func finiteOrNil(_ value: Double?) -> Double? {
    guard let value, value.isFinite else { return nil }
    return value
}

/// One element of `per_round`.
private struct RoundJSON: Encodable {
    let line: RunSummary.RoundLine

    private enum Key: String, CodingKey {
        case round, phase, sim_start, sim_seconds, wall_seconds, coordinator_seconds, sampled, answered, dropped
        case test_accuracy, test_loss, train_loss, global_density, bytes_down, bytes_up, analytic_min_bytes
        case rejected
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let round = line.record
        try container.encode(round.round, forKey: .round)
        try container.encode(round.phase, forKey: .phase)
        try container.encode(finiteOrNil(round.simStart), forKey: .sim_start)
        try container.encode(finiteOrNil(round.simSeconds), forKey: .sim_seconds)
        try container.encode(finiteOrNil(round.wallSeconds), forKey: .wall_seconds)
        try container.encode(finiteOrNil(round.coordinatorSeconds), forKey: .coordinator_seconds)
        try container.encode(round.sampled, forKey: .sampled)
        try container.encode(round.answered, forKey: .answered)
        try container.encode(round.dropped, forKey: .dropped)
        try container.encode(finiteOrNil(round.testAccuracy), forKey: .test_accuracy)
        try container.encode(finiteOrNil(round.testLoss), forKey: .test_loss)
        try container.encode(finiteOrNil(round.trainLoss), forKey: .train_loss)
        try container.encode(finiteOrNil(round.globalDensity), forKey: .global_density)
        try container.encode(line.bytesDown, forKey: .bytes_down)
        try container.encode(line.bytesUp, forKey: .bytes_up)
        try container.encode(line.analyticMinBytes, forKey: .analytic_min_bytes)
        try container.encode(line.rejected, forKey: .rejected)
    }
}

/// One element of `traffic`.
private struct TrafficJSON: Encodable {
    let group: TrafficGroup

    private enum Key: String, CodingKey {
        case direction, kind, encoding, messages, bytes, analytic_min_bytes
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(group.direction.rawValue, forKey: .direction)
        try container.encode(group.kind, forKey: .kind)
        try container.encode(group.encoding, forKey: .encoding)
        try container.encode(group.messages, forKey: .messages)
        try container.encode(group.bytes, forKey: .bytes)
        try container.encode(group.analyticBytes, forKey: .analytic_min_bytes)
    }
}

/// One element of `clients`.
private struct ClientJSON: Encodable {
    let client: ClientActivity

    private enum Key: String, CodingKey {
        case client, group, rounds_sampled, ok, dropped, timeout, refused, error, rejected, bytes_down, bytes_up
        case mean_loss
        case flops, memory_budget_bytes, predicted_peak_bytes, measured_peak_bytes
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(client.clientID, forKey: .client)
        try container.encode(client.group, forKey: .group)
        try container.encode(client.roundsSampled, forKey: .rounds_sampled)
        try container.encode(client.ok, forKey: .ok)
        try container.encode(client.dropped, forKey: .dropped)
        try container.encode(client.timedOut, forKey: .timeout)
        try container.encode(client.refused, forKey: .refused)
        try container.encode(client.failed, forKey: .error)
        try container.encode(client.rejected, forKey: .rejected)
        try container.encode(client.bytesDown, forKey: .bytes_down)
        try container.encode(client.bytesUp, forKey: .bytes_up)
        try container.encode(finiteOrNil(client.meanLoss), forKey: .mean_loss)
        try container.encode(client.flops, forKey: .flops)
        try container.encode(client.memoryBudgetBytes, forKey: .memory_budget_bytes)
        try container.encode(client.maxPredictedPeakBytes, forKey: .predicted_peak_bytes)
        try container.encode(client.maxMeasuredPeakBytes, forKey: .measured_peak_bytes)
    }
}

/// One element of `client_metrics`: a figure's series of per-round sums.
private struct MetricJSON: Encodable {
    let series: MetricSeries

    private enum Key: String, CodingKey {
        case name, rounds
    }

    private enum RoundKey: String, CodingKey {
        case round, clients, mean, min, max
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(series.name, forKey: .name)
        var rounds = container.nestedUnkeyedContainer(forKey: .rounds)
        for round in series.rounds {
            var element = rounds.nestedContainer(keyedBy: RoundKey.self)
            try element.encode(round.round, forKey: .round)
            try element.encode(round.clients, forKey: .clients)
            try element.encode(finiteOrNil(round.mean), forKey: .mean)
            try element.encode(finiteOrNil(round.minimum), forKey: .min)
            try element.encode(finiteOrNil(round.maximum), forKey: .max)
        }
    }
}

/// One element of `hosts`: a host's latest version and clients, and its events.
private struct HostJSON: Encodable {
    let host: HostHistory

    private enum Key: String, CodingKey {
        case host_id, software_version, clients, events
    }

    private enum EventKey: String, CodingKey {
        case round, event, software_version, clients, reason
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(host.hostID, forKey: .host_id)
        try container.encode(host.softwareVersion, forKey: .software_version)
        try container.encode(host.clients, forKey: .clients)
        var events = container.nestedUnkeyedContainer(forKey: .events)
        for event in host.events {
            var element = events.nestedContainer(keyedBy: EventKey.self)
            try element.encode(event.round, forKey: .round)
            try element.encode(event.record.event.rawValue, forKey: .event)
            try element.encode(event.record.softwareVersion, forKey: .software_version)
            try element.encode(event.record.clients, forKey: .clients)
            try element.encode(event.record.reason, forKey: .reason)
        }
    }
}

/// One element of `peer_rejections`: a peer's rejected messages of one code over the run.
private struct RejectionJSON: Encodable {
    let rejection: PeerRejectionTotal

    private enum Key: String, CodingKey {
        case peer, code, count, rounds, example
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(rejection.peer, forKey: .peer)
        try container.encode(rejection.code, forKey: .code)
        try container.encode(rejection.count, forKey: .count)
        try container.encode(rejection.rounds, forKey: .rounds)
        try container.encode(rejection.example, forKey: .example)
    }
}

/// One element of `link_times` (a group over the run, without `round`) or of
/// `link_times_per_round`: tasks measured, their measured and predicted seconds, and the ratio.
private struct LinkTimeJSON: Encodable {
    let total: LinkTimeTotal
    let round: Int?

    init(_ total: LinkTimeTotal) {
        self.total = total
        round = total.round
    }

    init(_ group: RunSummary.LinkTimeGroup) {
        total = LinkTimeTotal(
            round: 0, group: group.group, tasks: group.tasks, measuredSeconds: group.measuredSeconds,
            predictedSeconds: group.predictedSeconds)
        round = nil
    }

    private enum Key: String, CodingKey {
        case round, group, tasks, measured_seconds, predicted_seconds, ratio
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        if let round { try container.encode(round, forKey: .round) }
        try container.encode(total.group, forKey: .group)
        try container.encode(total.tasks, forKey: .tasks)
        try container.encode(finiteOrNil(total.measuredSeconds), forKey: .measured_seconds)
        try container.encode(finiteOrNil(total.predictedSeconds), forKey: .predicted_seconds)
        try container.encode(
            finiteOrNil(RunSummary.ratio(total.measuredSeconds, total.predictedSeconds)), forKey: .ratio)
    }
}

/// One element of `personal_accuracy`.
private struct PersonalJSON: Encodable {
    let line: PersonalAccuracyRound

    private enum Key: String, CodingKey {
        case round, clients, mean, sd, min, p10, median, p90, max
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(line.round, forKey: .round)
        try container.encode(line.clients, forKey: .clients)
        try container.encode(finiteOrNil(line.mean), forKey: .mean)
        try container.encode(finiteOrNil(line.standardDeviation), forKey: .sd)
        try container.encode(finiteOrNil(line.minimum), forKey: .min)
        try container.encode(finiteOrNil(line.p10), forKey: .p10)
        try container.encode(finiteOrNil(line.median), forKey: .median)
        try container.encode(finiteOrNil(line.p90), forKey: .p90)
        try container.encode(finiteOrNil(line.maximum), forKey: .max)
    }
}
