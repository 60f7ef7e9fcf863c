import Foundation
import OrchardStore

/// The figures of one run that a user quotes: accuracy, bytes, time, overhead, participation, and
/// the final model's hash.
///
/// Every figure is computed from the store (`init(store:run:)`); `docs/store.md` says how. Figures
/// that the run did not record (no evaluation yet, no analytic byte counts) are `nil`.
public struct RunSummary: Sendable, Equatable {
    /// The store file's path.
    public var file: String
    /// The run as stored.
    public var run: RunRecord
    /// The registered clients.
    public var clientCount: Int
    /// Committed rounds.
    public var rounds: Int
    /// The last committed round's number, or `nil` if there is none.
    public var lastRound: Int?
    /// Accuracy of the last round that evaluated the global model.
    public var finalAccuracy: Double?
    /// That round.
    public var finalAccuracyRound: Int?
    /// That round's test loss.
    public var finalTestLoss: Double?
    /// The highest accuracy of any round that evaluated.
    public var bestAccuracy: Double?
    /// The first round that reached it.
    public var bestAccuracyRound: Int?
    /// The global density of the last round that recorded one.
    public var finalDensity: Double?
    /// Messages of every kind, both directions.
    public var messages: Int
    /// Payload bytes from the coordinator, summed over every message.
    public var bytesDown: Int
    /// Payload bytes to the coordinator, summed over every message.
    public var bytesUp: Int
    /// The analytic minimum summed over the messages that record one, or `nil` if none does.
    public var analyticMinBytes: Int?
    /// The payload bytes of those messages.
    public var bytesWithAnalytic: Int
    /// The virtual clock at the end of the last round, in seconds.
    public var simSeconds: Double
    /// The run's wall-clock time, in seconds: end minus start for a run that ended without being
    /// resumed, else the rounds' wall time.
    public var wallSeconds: Double
    /// The rounds' wall-clock durations, summed.
    public var roundsWallSeconds: Double
    /// The coordinator's working time over the rounds, summed.
    public var coordinatorSeconds: Double
    /// `coordinatorSeconds / roundsWallSeconds`, or `nil` when no wall time was recorded.
    public var coordinatorOverheadFraction: Double?
    /// The latest checkpoint's round, or `nil` if the run has none.
    public var checkpointRound: Int?
    /// The SHA-256 of the final model: the latest checkpoint's, if it is of the last round, else `nil`.
    public var finalModelSHA256: String?
    /// One line per committed round.
    public var perRound: [RoundLine]
    /// Messages summed by direction, kind and encoding.
    public var traffic: [TrafficGroup]
    /// What each client did.
    public var clients: [ClientActivity]
    /// The figures clients reported that have no column of their own (`client_metrics`), per
    /// round, by name.
    public var clientMetrics: [MetricSeries]
    /// Each client host's announced version and clients and its joins, losses and refusals, by host id.
    public var hosts: [HostHistory]
    /// The messages the coordinator rejected, summed by peer and error code.
    public var peerRejections: [PeerRejectionTotal]
    /// The measured and predicted link times per round and group; none unless the run measured them.
    public var linkTimes: [LinkTimeTotal]
    /// What the masks left connected, per round that recorded it (pruned models).
    public var maskHealth: [RoundMaskHealth]
    /// The spread over clients of their own models' accuracy on their held-out splits, per round
    /// (personalized methods); empty for other methods.
    public var personalAccuracy: [PersonalAccuracyRound]
    /// The last of those rounds, or `nil`.
    public var finalPersonalAccuracy: PersonalAccuracyRound? { personalAccuracy.last }

    /// The figures of one round.
    public struct RoundLine: Sendable, Equatable {
        /// The round's row.
        public var record: RoundRecord
        /// Payload bytes from the coordinator.
        public var bytesDown: Int
        /// Payload bytes to the coordinator.
        public var bytesUp: Int
        /// The analytic minimum of the messages that record one, or `nil`.
        public var analyticMinBytes: Int?
        /// The round's tasks whose result was rejected.
        public var rejected: Int
    }

    /// The summary of `run` in `store`, read in one transaction.
    public init(store: RunStore, run: RunID) throws {
        self.init(file: store.path, overview: try store.overview(run: run))
    }

    /// The summary of a run's overview, read from the store file `file`.
    public init(file: String, overview: RunOverview) {
        let record = overview.run
        let rounds = overview.rounds
        let traffic = overview.roundTraffic
        let latestCheckpoint = overview.checkpoints.last
        self.file = file
        run = record
        self.rounds = rounds.count
        lastRound = rounds.last?.round
        clients = overview.clients
        clientCount = clients.count
        self.traffic = overview.trafficGroups
        clientMetrics = overview.clientMetrics
        hosts = overview.hosts
        peerRejections = overview.peerRejections
        linkTimes = overview.linkTimes
        maskHealth = overview.maskHealth
        personalAccuracy = PersonalAccuracyRound.rounds(overview.personalEvaluations)

        let evaluated = rounds.filter { $0.testAccuracy != nil }
        finalAccuracy = evaluated.last?.testAccuracy
        finalAccuracyRound = evaluated.last?.round
        finalTestLoss = evaluated.last?.testLoss
        // The first round to reach the best accuracy: `max(by:)` would return the last of equals.
        let best = evaluated.reduce(nil as RoundRecord?) { best, round in
            guard let best, let bestAccuracy = best.testAccuracy else { return round }
            return round.testAccuracy! > bestAccuracy ? round : best
        }
        bestAccuracy = best?.testAccuracy
        bestAccuracyRound = best?.round
        finalDensity = rounds.last { $0.globalDensity != nil }?.globalDensity

        messages = traffic.reduce(0) { $0 + $1.messagesDown + $1.messagesUp }
        bytesDown = traffic.reduce(0) { $0 + $1.bytesDown }
        bytesUp = traffic.reduce(0) { $0 + $1.bytesUp }
        let analytic = traffic.compactMap(\.analyticBytes)
        analyticMinBytes = analytic.isEmpty ? nil : analytic.reduce(0, +)
        bytesWithAnalytic = traffic.reduce(0) { $0 + $1.bytesWithAnalytic }

        simSeconds = rounds.map { $0.simStart + $0.simSeconds }.max() ?? 0
        roundsWallSeconds = rounds.reduce(0) { $0 + $1.wallSeconds }
        coordinatorSeconds = rounds.reduce(0) { $0 + $1.coordinatorSeconds }
        coordinatorOverheadFraction = roundsWallSeconds > 0 ? coordinatorSeconds / roundsWallSeconds : nil
        if let endedAt = record.endedAt, record.resumeCount == 0 {
            wallSeconds = endedAt.timeIntervalSince(record.info.startedAt)
        } else {
            wallSeconds = roundsWallSeconds
        }

        checkpointRound = latestCheckpoint?.round
        finalModelSHA256 =
            latestCheckpoint != nil && latestCheckpoint?.round == lastRound ? latestCheckpoint?.stateSHA256 : nil

        let trafficByRound = Dictionary(uniqueKeysWithValues: traffic.map { ($0.round, $0) })
        let tasksByRound = Dictionary(uniqueKeysWithValues: overview.roundTasks.map { ($0.round, $0) })
        perRound = rounds.map { round in
            let sums = trafficByRound[round.round]
            return RoundLine(
                record: round, bytesDown: sums?.bytesDown ?? 0, bytesUp: sums?.bytesUp ?? 0,
                analyticMinBytes: sums?.analyticBytes, rejected: tasksByRound[round.round]?[.rejected] ?? 0)
        }
    }

    /// Whether any client or task recorded a memory budget, a predicted or a measured peak.
    public var recordsMemory: Bool {
        clients.contains {
            $0.memoryBudgetBytes != nil || $0.maxPredictedPeakBytes != nil || $0.maxMeasuredPeakBytes != nil
        }
    }
}
