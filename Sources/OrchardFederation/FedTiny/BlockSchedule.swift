import OrchardPruning

/// Which rounds adjust the mask, which layers each adjustment changes, and by how many weights.
///
/// Adjustments cycle over blocks of layers from the output to the input, driven by the number of
/// adjustments made so far. OG chose the block from the absolute round number instead, so that
/// with an even `delta` half of the blocks were never adjusted; the count here is a
/// pure function of the round, so a resumed run adjusts the same blocks as an uninterrupted one.
public struct BlockSchedule: Sendable, Equatable {
    /// The blocks of masked weight names, from the input to the output.
    public let blocks: [[String]]
    /// Rounds between adjustments.
    public let delta: Int
    /// The last round that may adjust, and the end of the cosine decay.
    public let endRound: Int
    /// The fraction of a layer's active weights moved at a round.
    public let decay: CosineDecay
    /// How a fractional count of weights to move is rounded.
    public let rounding: PruneAndGrow.Rounding

    /// The schedule for masked weights `names` (in the network's order).
    public init(names: [String], configuration: FedTinyConfiguration) {
        switch configuration.granularity {
        case .block: blocks = Self.naturalBlocks(names)
        case .layer: blocks = names.map { [$0] }
        case .entire: blocks = names.isEmpty ? [] : [names]
        }
        delta = configuration.delta
        endRound = configuration.endRound
        decay = configuration.decay
        rounding = configuration.moveRounding
    }

    /// The network's natural groups of layers, from the input to the output.
    ///
    /// A network with stages (first name component `layer1`, `layer2`, ... as in the ResNets) has
    /// one block per stage; weights before the first stage (the stem) join the first stage and
    /// weights after a stage (the classifier) join that stage, as OG adjusts `conv5_x` with `fc`.
    /// Any other network (VGG, LeNet, MLP) is cut into pairs of consecutive layers from the output,
    /// as OG pairs VGG's layers; with an odd count the input-most layer is a block alone.
    public static func naturalBlocks(_ names: [String]) -> [[String]] {
        func stage(_ name: String) -> String? {
            let head = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
            guard head.hasPrefix("layer"), head.count > 5, head.dropFirst(5).allSatisfy(\.isNumber) else { return nil }
            return head
        }
        if names.contains(where: { stage($0) != nil }) {
            var blocks: [[String]] = []
            var keys: [String] = []
            var leading: [String] = []
            for name in names {
                if let key = stage(name) {
                    if keys.last != key {
                        blocks.append(blocks.isEmpty ? leading : [])
                        keys.append(key)
                    }
                    blocks[blocks.count - 1].append(name)
                } else if blocks.isEmpty {
                    leading.append(name)
                } else {
                    blocks[blocks.count - 1].append(name)
                }
            }
            return blocks
        }
        var blocks: [[String]] = []
        var end = names.count
        while end > 0 {
            let start = max(0, end - 2)
            blocks.insert(Array(names[start..<end]), at: 0)
            end = start
        }
        return blocks
    }

    /// Whether round `round` is an adjustment round: a training round (after the two selection
    /// rounds) that is a multiple of `delta`, no later than the end round.
    public func isAdjustment(_ round: Int) -> Bool {
        round > FedTinyProtocol.scoreRound && round % delta == 0 && round <= endRound && !blocks.isEmpty
    }

    /// The number of adjustments before round `round`: 0 for the first, 1 for the second, ...
    public func adjustmentNumber(before round: Int) -> Int {
        (FedTinyProtocol.scoreRound + 1..<max(round, FedTinyProtocol.scoreRound + 1)).filter(isAdjustment).count
    }

    /// The names of the weights that adjustment number `number` changes: block `B − 1 − (n mod B)`.
    public func block(forAdjustment number: Int) -> [String] {
        guard !blocks.isEmpty else { return [] }
        return blocks[blocks.count - 1 - number % blocks.count]
    }

    /// The weights round `round` adjusts, empty if it is not an adjustment round.
    public func adjustedNames(round: Int) -> [String] {
        isAdjustment(round) ? block(forAdjustment: adjustmentNumber(before: round)) : []
    }

    /// How many weights a layer with `active` kept weights moves at `round`:
    /// `f(t) · active` with FedPruning's round-based `f(t) = α/2 · (1 + cos(π t / T_end))`,
    /// rounded as `rounding` says (up by default, as OG's FedTiny code rounds).
    public func count(active: Int, round: Int) -> Int {
        PruneAndGrow.adjustmentCount(active: active, fraction: decay.fraction(at: round), rounding: rounding)
    }
}
