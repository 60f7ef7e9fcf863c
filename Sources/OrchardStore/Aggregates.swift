/// The messages of one round, summed by direction.
public struct RoundTraffic: Sendable, Equatable {
    /// The round.
    public var round: Int
    /// Messages from the coordinator.
    public var messagesDown: Int
    /// Messages to the coordinator.
    public var messagesUp: Int
    /// Payload bytes from the coordinator.
    public var bytesDown: Int
    /// Payload bytes to the coordinator.
    public var bytesUp: Int
    /// The analytic minimum summed over the messages that record one, or `nil` if none does.
    public var analyticBytes: Int?
    /// The payload bytes of those same messages, to compare with `analyticBytes` like for like.
    public var bytesWithAnalytic: Int

    /// A round's sums.
    public init(
        round: Int, messagesDown: Int, messagesUp: Int, bytesDown: Int, bytesUp: Int, analyticBytes: Int?,
        bytesWithAnalytic: Int
    ) {
        self.round = round
        self.messagesDown = messagesDown
        self.messagesUp = messagesUp
        self.bytesDown = bytesDown
        self.bytesUp = bytesUp
        self.analyticBytes = analyticBytes
        self.bytesWithAnalytic = bytesWithAnalytic
    }
}

/// The messages of a run of one direction, kind and encoding, summed.
public struct TrafficGroup: Sendable, Equatable {
    /// Which way they went.
    public var direction: MessageDirection
    /// Their kind, such as `task`.
    public var kind: String
    /// Their tensor encodings, such as `DENSE_F32`.
    public var encoding: String
    /// How many there were.
    public var messages: Int
    /// Their payload bytes.
    public var bytes: Int
    /// Their analytic minimum, summed over those that record one, or `nil` if none does.
    public var analyticBytes: Int?

    /// A group's sums.
    public init(
        direction: MessageDirection, kind: String, encoding: String, messages: Int, bytes: Int, analyticBytes: Int?
    ) {
        self.direction = direction
        self.kind = kind
        self.encoding = encoding
        self.messages = messages
        self.bytes = bytes
        self.analyticBytes = analyticBytes
    }
}

/// What one client did over a run: its tasks by outcome, its bytes and its memory.
public struct ClientActivity: Sendable, Equatable {
    /// The client's id.
    public var clientID: Int
    /// Its topology group.
    public var group: String
    /// Its memory budget: the registered one, else the largest a task recorded; `nil` if neither.
    public var memoryBudgetBytes: Int?
    /// Rounds in which it was given a task.
    public var roundsSampled: Int
    /// Tasks that ended `ok`.
    public var ok: Int
    /// Tasks that ended `dropped`.
    public var dropped: Int
    /// Tasks that ended `timeout`.
    public var timedOut: Int
    /// Tasks that ended `refused`.
    public var refused: Int
    /// Tasks that ended `error`.
    public var failed: Int
    /// Tasks whose result was `rejected`.
    public var rejected: Int
    /// Payload bytes sent to it.
    public var bytesDown: Int
    /// Payload bytes it sent.
    public var bytesUp: Int
    /// The mean loss of its `ok` tasks that reported one, or `nil`.
    public var meanLoss: Double?
    /// The FLOPs its tasks counted, summed.
    public var flops: Int
    /// The largest footprint predicted for one of its tasks, or `nil` if never predicted.
    public var maxPredictedPeakBytes: Int?
    /// The largest peak it measured during one of its tasks, or `nil` if never measured.
    public var maxMeasuredPeakBytes: Int?

    /// A client's sums.
    public init(
        clientID: Int, group: String, memoryBudgetBytes: Int?, roundsSampled: Int, ok: Int, dropped: Int,
        timedOut: Int, refused: Int, failed: Int, rejected: Int = 0, bytesDown: Int, bytesUp: Int, meanLoss: Double?,
        flops: Int,
        maxPredictedPeakBytes: Int?, maxMeasuredPeakBytes: Int?
    ) {
        self.clientID = clientID
        self.group = group
        self.memoryBudgetBytes = memoryBudgetBytes
        self.roundsSampled = roundsSampled
        self.ok = ok
        self.dropped = dropped
        self.timedOut = timedOut
        self.refused = refused
        self.failed = failed
        self.rejected = rejected
        self.bytesDown = bytesDown
        self.bytesUp = bytesUp
        self.meanLoss = meanLoss
        self.flops = flops
        self.maxPredictedPeakBytes = maxPredictedPeakBytes
        self.maxMeasuredPeakBytes = maxMeasuredPeakBytes
    }

    /// Every task, whatever its outcome.
    public var tasks: Int { ok + dropped + timedOut + refused + failed + rejected }
}

/// One figure that clients report (a name of `client_metrics`), summed per round over the clients
/// that reported it.
public struct MetricSeries: Sendable, Equatable {
    /// The figure's name, as the client names it, such as `topk_k`.
    public var name: String
    /// The rounds in which some client reported it, in order.
    public var rounds: [Round]

    /// One round's sums.
    public struct Round: Sendable, Equatable {
        /// The round.
        public var round: Int
        /// The clients that reported the figure (their results arrived, whatever their status).
        public var clients: Int
        /// The mean of their values, or `nil` if every value was NaN.
        public var mean: Double?
        /// The smallest value, or `nil` if every value was NaN.
        public var minimum: Double?
        /// The largest value, or `nil` if every value was NaN.
        public var maximum: Double?

        /// A round's sums.
        public init(round: Int, clients: Int, mean: Double?, minimum: Double?, maximum: Double?) {
            self.round = round
            self.clients = clients
            self.mean = mean
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    /// A figure's series.
    public init(name: String, rounds: [Round]) {
        self.name = name
        self.rounds = rounds
    }
}
