/// One round as the coordinator saw it (a row of `rounds`).
///
/// Times are in seconds. `simStart` and `simSeconds` are virtual-clock figures, which depend only
/// on bytes and FLOPs; `wallSeconds` and `coordinatorSeconds` were measured on this machine.
public struct RoundRecord: Sendable, Equatable {
    /// The round's number; the first round is 1.
    public var round: Int
    /// What the round did, in the method's words, such as `train`, `bn_statistics` or `prune_block_3`.
    public var phase: String
    /// The virtual clock when the round began.
    public var simStart: Double
    /// The round's simulated duration (its slowest included client, or the deadline).
    public var simSeconds: Double
    /// The round's wall-clock duration.
    public var wallSeconds: Double
    /// The part of `wallSeconds` the coordinator spent working: encoding, sending, receiving,
    /// decoding, aggregating and writing, but not waiting for clients.
    public var coordinatorSeconds: Double
    /// Clients the round sampled.
    public var sampled: Int
    /// Sampled clients whose result arrived and was used.
    public var answered: Int
    /// Sampled clients left out: dropped, timed out, refused, failed or rejected.
    public var dropped: Int
    /// The global model's density after the round (nonzero over all prunable weights), if known.
    public var globalDensity: Double?
    /// The global model's accuracy on the test set after the round, from 0 to 1, if evaluated.
    public var testAccuracy: Double?
    /// The global model's mean test loss after the round, if evaluated.
    public var testLoss: Double?
    /// The mean training loss the clients reported, weighted by samples, if any trained.
    public var trainLoss: Double?

    /// A round; the evaluation figures default to none.
    public init(
        round: Int, phase: String, simStart: Double, simSeconds: Double, wallSeconds: Double,
        coordinatorSeconds: Double, sampled: Int, answered: Int, dropped: Int, globalDensity: Double? = nil,
        testAccuracy: Double? = nil, testLoss: Double? = nil, trainLoss: Double? = nil
    ) {
        self.round = round
        self.phase = phase
        self.simStart = simStart
        self.simSeconds = simSeconds
        self.wallSeconds = wallSeconds
        self.coordinatorSeconds = coordinatorSeconds
        self.sampled = sampled
        self.answered = answered
        self.dropped = dropped
        self.globalDensity = globalDensity
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.trainLoss = trainLoss
    }
}

/// How one client's task of a round ended (the `client_rounds.status` column).
public enum ClientRoundStatus: String, CaseIterable, Sendable, Codable {
    /// The result arrived and was used.
    case ok
    /// The client's host was lost, or the client was unavailable, before a result arrived.
    case dropped
    /// The task passed its deadline.
    case timeout
    /// The client refused the task (for example, it does not fit the memory budget).
    case refused
    /// The task started and failed.
    case error
    /// The result arrived and failed validation; the reason says which check.
    case rejected
}

/// One client's task in a round (a row of `client_rounds`; the round is the commit's).
public struct ClientRoundRecord: Sendable, Equatable {
    /// The client's id.
    public var clientID: Int
    /// The task kind, such as `train`, `evaluate` or `top_k_gradients`.
    public var task: String
    /// How the task ended.
    public var status: ClientRoundStatus
    /// Why, when the status is not `ok`.
    public var reason: String?
    /// Samples the client used.
    public var samples: Int
    /// The client's mean loss over the task, if it reported one (it may be NaN if training diverged).
    public var loss: Double?
    /// The client's accuracy, if the task evaluated.
    public var accuracy: Double?
    /// Floating-point operations the task counted.
    public var flops: Int?
    /// The memory budget in force for the task, in bytes.
    public var memoryBudgetBytes: Int?
    /// The footprint computed before the task ran, in bytes.
    public var predictedPeakBytes: Int?
    /// The peak of live tensor bytes the client measured while the task ran.
    public var measuredPeakBytes: Int?
    /// The task's simulated duration: latency, download, compute and upload.
    public var simSeconds: Double?
    /// The task's wall-clock duration, from sending the task to receiving the result.
    public var wallSeconds: Double?
    /// The other figures the client reported, by the client's names, such as FedTiny's `topk_k`
    /// (rows of `client_metrics`); a NaN is stored as NULL and reads back as NaN.
    public var metrics: [String: Double]

    /// A client's task; figures that were not reported default to none.
    public init(
        clientID: Int, task: String, status: ClientRoundStatus, reason: String? = nil, samples: Int = 0,
        loss: Double? = nil, accuracy: Double? = nil, flops: Int? = nil, memoryBudgetBytes: Int? = nil,
        predictedPeakBytes: Int? = nil, measuredPeakBytes: Int? = nil, simSeconds: Double? = nil,
        wallSeconds: Double? = nil, metrics: [String: Double] = [:]
    ) {
        self.clientID = clientID
        self.task = task
        self.status = status
        self.reason = reason
        self.samples = samples
        self.loss = loss
        self.accuracy = accuracy
        self.flops = flops
        self.memoryBudgetBytes = memoryBudgetBytes
        self.predictedPeakBytes = predictedPeakBytes
        self.measuredPeakBytes = measuredPeakBytes
        self.simSeconds = simSeconds
        self.wallSeconds = wallSeconds
        self.metrics = metrics
    }
}

/// Which way a message went (the `messages.direction` column).
public enum MessageDirection: String, CaseIterable, Sendable, Codable {
    /// Coordinator to client host.
    case down
    /// Client host to coordinator.
    case up
}

/// One message sent or received by the coordinator (a row of `messages`; the round is the commit's).
///
/// `bytes` is the message's payload, `WireSize.totalBytes` of `OrchardWire`: the envelope frame
/// plus every tensor frame, without ZeroMQ's framing. `encoding` names the encodings of its tensor
/// frames as the protocol does (`DENSE_F32`), joined by `+` in the protocol's enum order when there
/// are several, or is `none` for a message without tensors.
public struct MessageRecord: Sendable, Equatable {
    /// The logical client of a task or result, or `nil` for host- and run-level messages.
    public var clientID: Int?
    /// Which way it went.
    public var direction: MessageDirection
    /// The message kind, as the protocol names it: `hello`, `welcome`, `task`, `result`, ...
    public var kind: String
    /// The tensor encodings, such as `DENSE_F32`, `BITMAP_F32+DENSE_F32` or `none`.
    public var encoding: String
    /// The payload bytes: envelope plus tensor frames.
    public var bytes: Int
    /// The envelope frame's bytes, if recorded separately.
    public var envelopeBytes: Int?
    /// The analytic minimum of the message's tensors (values plus the entropy bound of each mask), if computed.
    public var analyticBytes: Int?

    /// A message's size record.
    public init(
        clientID: Int?, direction: MessageDirection, kind: String, encoding: String, bytes: Int,
        envelopeBytes: Int? = nil, analyticBytes: Int? = nil
    ) {
        self.clientID = clientID
        self.direction = direction
        self.kind = kind
        self.encoding = encoding
        self.bytes = bytes
        self.envelopeBytes = envelopeBytes
        self.analyticBytes = analyticBytes
    }
}

/// One layer's density after a round (a row of `layers`; the round is the commit's).
public struct LayerRecord: Sendable, Equatable {
    /// The parameter's name, such as `conv1.weight`.
    public var layer: String
    /// Nonzero weights over all weights of the layer, from 0 to 1.
    public var density: Double
    /// The layer's number of weights, if recorded, so that densities can be weighted.
    public var parameters: Int?

    /// A layer's density.
    public init(layer: String, density: Double, parameters: Int? = nil) {
        self.layer = layer
        self.density = density
        self.parameters = parameters
    }
}

/// Everything a round writes, committed in one transaction by `RunStore.commitRound(_:run:)`.
public struct RoundCommit: Sendable, Equatable {
    /// The round's row.
    public var round: RoundRecord
    /// One row per sampled client's task.
    public var clientRounds: [ClientRoundRecord]
    /// Every message of the round, in both directions.
    public var messages: [MessageRecord]
    /// Layer densities after the round.
    public var layers: [LayerRecord]
    /// The global state after the round, on checkpoint rounds.
    public var checkpoint: CheckpointState?
    /// What happened to client hosts during the round, in order (rows of `host_events`); events
    /// before round 1 belong to round 1.
    public var hostEvents: [HostEventRecord]
    /// The messages the coordinator rejected during the round, counted by peer and error code
    /// (rows of `peer_rejections`); one record per peer and code.
    public var peerRejections: [PeerRejectionRecord]
    /// The measured and predicted link times of the round's answered tasks (rows of `link_times`),
    /// when the run measures its links; one record per client.
    public var linkTimes: [LinkTimeRecord]
    /// What the masks leave connected after the round, for a pruned model (rows of
    /// `mask_health` and `layer_health`).
    public var maskHealth: MaskHealthRecord?
    /// Each client's evaluation of its own model on its held-out split, for a personalized
    /// method (rows of `client_evaluations`); one per client at most.
    public var personalEvaluations: [PersonalEvaluationRecord]

    /// A round's rows.
    public init(
        round: RoundRecord, clientRounds: [ClientRoundRecord] = [], messages: [MessageRecord] = [],
        layers: [LayerRecord] = [], checkpoint: CheckpointState? = nil, hostEvents: [HostEventRecord] = [],
        peerRejections: [PeerRejectionRecord] = [], linkTimes: [LinkTimeRecord] = [],
        maskHealth: MaskHealthRecord? = nil, personalEvaluations: [PersonalEvaluationRecord] = []
    ) {
        self.linkTimes = linkTimes
        self.round = round
        self.clientRounds = clientRounds
        self.messages = messages
        self.layers = layers
        self.checkpoint = checkpoint
        self.hostEvents = hostEvents
        self.peerRejections = peerRejections
        self.maskHealth = maskHealth
        self.personalEvaluations = personalEvaluations
    }
}
