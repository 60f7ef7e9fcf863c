import OrchardData
import OrchardNN
import OrchardPruning
import OrchardTensor

/// FedTiny (Huang et al., ICDCS 2023): the server half.
///
/// Before round 1 the server pretrains the dense model on its small data set and draws a pool of
/// candidate masks from the pretrained weights. Round 1 recalibrates each candidate's batch-norm
/// statistics on the clients' validation splits, round 2 scores the candidates with them, and the
/// lowest loss wins (adaptive BN selection, `FedTinyServer+Selection.swift`). From round 3 on the
/// clients train the selected sparse model as in fixed-mask FedAvg, and every `delta` rounds until
/// `t_end` one block of layers is adjusted: the server prunes its smallest weights and grows the
/// pruned positions whose averaged top-K gradients, reported by the clients, are largest
/// (progressive pruning, `FedTinyServer+Adjustment.swift`).
public final class FedTinyServer: ServerMethod {
    public let global: Network
    let setup: MethodSetup
    public let configuration: FedTinyConfiguration
    /// The candidate masks, cut from the pretrained weights.
    public let pool: CandidatePool
    /// The pretrained dense state, sent during selection.
    let denseState: [NamedTensor]
    /// The candidates' masks as payloads, sent during selection.
    let candidateMasks: [NamedTensor]
    /// Each candidate's batch-norm statistics: the pretrained ones until round 1 recalibrates them.
    public internal(set) var candidateStatistics: [BatchNormStatistics]
    /// Each candidate's sample-weighted validation loss from round 2, or nil before.
    public internal(set) var candidateLosses: [Double]?
    /// The candidate round 2 selected, or nil before.
    public internal(set) var selected: Int?
    /// Which weights each adjustment changes.
    public let schedule: BlockSchedule
    /// What the current adjustment round asked for, by weight name: kept from `tasks` to `aggregate`.
    var pendingCounts: (round: Int, counts: [String: Int])?
    /// The positions the last adjustment pruned and grew, by weight name.
    public internal(set) var lastAdjustment: [String: (pruned: [Int32], grown: [Int32])] = [:]
    let shapes: [String: [Int]]

    public init(setup: MethodSetup, configuration: FedTinyConfiguration) throws {
        self.setup = setup
        self.configuration = configuration
        global = try setup.makeNetwork()
        if configuration.pretrainEpochs > 0 {
            try Self.pretrain(global, setup: setup, epochs: configuration.pretrainEpochs)
        }
        pool = try CandidatePool(for: global, configuration: configuration, seed: setup.seed)
        denseState = global.parameters.map { NamedTensor(name: $0.name, tensor: $0.parameter.denseValue().copy()) }
        candidateMasks = pool.masks.enumerated().flatMap { candidate, mask in
            mask.entries.map {
                NamedTensor(
                    name: FedTinyProtocol.candidateName(candidate, $0.name),
                    payload: .mask(shape: $0.mask.shape, indices: $0.mask.activeIndices))
            }
        }
        candidateStatistics = Array(repeating: BatchNormStatistics(of: global), count: configuration.candidates)
        schedule = BlockSchedule(names: pool.masks[0].names, configuration: configuration)
        shapes = Dictionary(uniqueKeysWithValues: global.parameters.map { ($0.name, $0.parameter.shape) })
    }

    /// Trains the dense model on the server's small set with the clients' optimizer settings, in
    /// the batch order of (seed, "fedtiny-pretrain"), so every run pretrains the same weights.
    static func pretrain(_ network: Network, setup: MethodSetup, epochs: Int) throws {
        guard let data = setup.serverData, data.count > 0 else {
            throw FederationError(
                "fedtiny pretrains on the server's small data set and the run gives it none; "
                    + "set server_samples_per_class, or pretrain_epochs: 0")
        }
        let training = setup.training
        let trainer = Trainer(
            network: network, learningRate: Float(training.learningRate), momentum: Float(training.momentum),
            weightDecay: Float(training.weightDecay))
        var order = BatchOrder(
            count: data.count, batchSize: training.batch,
            shuffle: RandomStream(seed: setup.seed, purpose: "fedtiny-pretrain"))
        for _ in 0..<epochs { _ = trainer.trainEpoch(on: data, order: &order) }
        // A fresh optimizer each round on the clients: no momentum is carried out of pretraining.
        for named in network.parameters { named.parameter.momentum = nil }
    }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        switch round {
        case ...FedTinyProtocol.batchNormRound: return batchNormTasks(round: round, clients: clients)
        case FedTinyProtocol.scoreRound: return scoreTasks(round: round, clients: clients)
        default: return try trainingTasks(round: round, clients: clients)
        }
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        switch round {
        case ...FedTinyProtocol.batchNormRound: try aggregateBatchNormStatistics(round: round, results: results)
        case FedTinyProtocol.scoreRound: try aggregateScores(round: round, results: results)
        default: try aggregateTraining(round: round, results: results)
        }
    }

    /// The settings every task carries: local training, and what selection needs.
    var taskSettings: [String: Double] {
        var settings = LocalSGD.settings(setup.training)
        settings["candidates"] = Double(configuration.candidates)
        settings["bn_passes"] = Double(configuration.batchNormPasses)
        settings["validation_fraction"] = configuration.validationFraction
        return settings
    }

    /// The tasks of the training rounds: the sparse model, and in an adjustment round the number
    /// of gradients to report per adjusted layer.
    func trainingTasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        try adoptMaskIfResumed()
        var settings = taskSettings
        var kind = ClientTask.Kind.train
        pendingCounts = nil
        let adjusted = schedule.adjustedNames(round: round)
        if !adjusted.isEmpty {
            var counts: [String: Int] = [:]
            let masks = global.masks
            for name in adjusted {
                counts[name] = schedule.count(active: masks[name]?.count ?? 0, round: round)
                settings[FedTinyProtocol.countSetting(name)] = Double(counts[name]!)
            }
            settings["topk_buffer_bytes"] = Double(configuration.topKBufferBytes)
            kind = .adjust
            pendingCounts = (round, counts)
        }
        let tensors = SparseTransfer.download(global)
        return clients.map { ClientTask(client: $0, round: round, kind: kind, settings: settings, tensors: tensors) }
    }

    /// Restores the selected model's masks, which ends selection: a resumed run goes on training.
    public func restore(checkpointExtra: [UInt8]?) throws {
        if try restoreMasks(checkpointExtra) { selected = -1 }
    }

    /// Takes a mask for a run resumed from a checkpoint that holds none (one taken before selection).
    ///
    /// The mask is then taken from the zeros of the weights. If those are not sparse (the selection
    /// rounds never ran), candidate 0 is taken, as with one candidate.
    func adoptMaskIfResumed() throws {
        guard selected == nil else { return }
        var masks: [String: [Int32]] = [:]
        var kept = 0
        var total = 0
        for name in pool.masks[0].names {
            guard let parameter = global.parameter(named: name) else { continue }
            let values = parameter.denseValue().values
            masks[name] = values.indices.compactMap { values[$0] != 0 ? Int32($0) : nil }
            kept += masks[name]!.count
            total += values.count
        }
        if Double(kept) <= 2 * pool.target * Double(total) {
            try global.applyMasks(masks, batch: setup.training.batch, storage: .masked)
            selected = -1
        } else {
            try adopt(candidate: 0)
        }
    }
}
