import OrchardNN
import OrchardPruning

/// Federated iterative magnitude pruning with weight rewinding: the server half.
///
/// The model starts dense; clients train it under its current mask (the client half is
/// fixed-mask's) and the server averages over the clients keeping each position. After the
/// aggregation of round `rewind_round` (0: at initialisation) the server keeps a copy of the whole
/// state. After the aggregation of each round `kR`, until the target is reached, it prunes the
/// averaged model by |w| to `max(density, (1 − fraction)^k)` (layer densities by `distribution`)
/// and rewinds every tensor to the copy, under the new mask (scaled by `rescale_kept`): the lottery ticket procedure with
/// rewinding, one training cycle being `R` federated rounds.
public final class IMPServer: ServerMethod {
    let model: SparseGlobalModel
    let settings: IMPSettings
    /// The state after the aggregation of `rewind_round`, by tensor name; nil before it.
    private(set) var rewindState: [String: [Float]]?

    public var global: Network { model.network }

    public init(setup: MethodSetup, settings: IMPSettings) throws {
        guard settings.rewindRound < settings.pruneEvery else {
            throw FederationError(
                "imp: rewind_round \(settings.rewindRound) must come before the first pruning round, "
                    + "prune_every \(settings.pruneEvery)")
        }
        model = try SparseGlobalModel(setup: setup, pruning: settings.pruning, dense: true)
        self.settings = settings
        if settings.rewindRound == 0 { rewindState = Self.state(of: model.network) }
    }

    /// The kept positions of each pruned weight, by name; empty while the model is dense.
    public var masks: [String: [Int32]] { model.masks }

    public func tasks(round: Int, clients: [Int]) throws -> [ClientTask] {
        model.tasks(round: round, clients: clients, kind: .train)
    }

    public func aggregate(round: Int, results: [ClientResult]) throws {
        try model.aggregateUnderMasks(round: round, results: results)
        if round == settings.rewindRound { rewindState = Self.state(of: model.network) }
        guard let density = settings.density(afterRound: round) else { return }
        guard let rewindState else { throw FederationError("imp: round \(round) prunes before any rewind state") }
        try model.pruneByMagnitude(to: density)
        for named in model.network.parameters {
            guard let values = rewindState[named.name], values.count == named.parameter.denseCount else {
                throw FederationError("imp: the rewind state lacks '\(named.name)'")
            }
            // Assigning zeroes the positions the new mask does not keep.
            values.withUnsafeBufferPointer { named.parameter.assignDense($0.baseAddress!) }
        }
        // A rewind is a fresh start at the new density, so `rescale_kept` scales it as it scales
        // the initial mask of the other methods.
        if settings.pruning.rescaleKept { KeptWeightScaling.rescale(model.network) }
    }

    /// The dense values of every tensor of `network`, by name.
    static func state(of network: Network) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.parameter.value.values) })
    }

    /// The masks, then the rewind state when there is one.
    public func checkpointExtra() -> [UInt8]? {
        let masks = MaskArchive.encode(global.masks, order: global)
        var writer = ArchiveWriter()
        writer.long(UInt64(masks.count))
        var bytes = writer.bytes + masks
        if let rewindState {
            var state = ArchiveWriter()
            for named in global.parameters {
                let values = rewindState[named.name] ?? []
                state.text(named.name)
                state.word(UInt32(values.count))
                for value in values { state.word(value.bitPattern) }
            }
            bytes += state.bytes
        }
        return bytes
    }

    public func restore(checkpointExtra: [UInt8]?) throws {
        guard let checkpointExtra else { return }
        var reader = ArchiveReader(bytes: checkpointExtra, what: "imp's checkpoint state")
        let maskBytes = try reader.take(Int(clamping: try reader.long()))
        if !maskBytes.isEmpty { try restoreMasks(maskBytes) }
        guard reader.offset < checkpointExtra.count else { return }
        var state: [String: [Float]] = [:]
        while reader.offset < checkpointExtra.count {
            let name = try reader.text()
            let count = Int(try reader.word())
            let run = try reader.take(count * 4)
            state[name] = (0..<count).map { index in
                Float(
                    bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(run[index * 4 + $1]) << (8 * UInt32($1)) })
            }
        }
        rewindState = state
    }
}
