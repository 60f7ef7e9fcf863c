/// What a result must hold for the server half to use it: its tensors, their forms, and its figures.
///
/// The server half states a contract for every task it plans (`ServerMethod.contract(for:)`);
/// the coordinator checks each result against its task's contract before the method sees it, and
/// rejects one that does not match, so a broken or hostile client can neither fail the round nor
/// change what the method aggregates beyond the values it was asked for.
public struct ResultContract: Sendable {
    /// The form one tensor of the result must take.
    public enum Form: Sendable, Equatable {
        /// Every value of a tensor of exactly this shape.
        case dense(shape: [Int])
        /// A pruned weight that was sent under the mask `kept`: its values alone (one per kept
        /// position, a tensor of shape `[kept.count]`), or its positions and values.
        ///
        /// The positions must equal `kept` unless `mayMove` allows the client to move weights, in
        /// which case they may be any positions of `shape`, as many as `kept` holds at most.
        case masked(shape: [Int], kept: [Int32], mayMove: Bool)
        /// Positions and values of a tensor of this shape, at most `atMost` of them and none of
        /// them in `outside` (ascending), such as the top-K gradients of a weight's pruned positions.
        case sparse(shape: [Int], atMost: Int, outside: [Int32])
        /// A mask alone (kept positions, no values) of a tensor of this shape, keeping any
        /// positions, such as a supermask a client drew.
        case mask(shape: [Int])
        /// A weight the client may prune further but never grow: its values under the mask sent
        /// (`kept`, ascending; nil when it was sent dense, every position kept), either alone (one
        /// per kept position, or the whole shape when every position is kept) or with positions
        /// that are a subset of `kept`.
        case pruning(shape: [Int], kept: [Int32]?)
    }

    /// One tensor the result may or must hold.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var form: Form
        /// Whether a result without it is rejected; an optional tensor, when present, must still
        /// take its form.
        public var required: Bool

        public init(name: String, form: Form, required: Bool = true) {
            self.name = name
            self.form = form
            self.required = required
        }
    }

    /// The tensors a result may hold; any other name is rejected.
    public var entries: [Entry]
    /// Figures an `ok` result must report.
    public var requiredMetrics: Set<String>
    /// Figures that count things: each must be a non-negative whole number where reported.
    public var countMetrics: Set<String>
    /// Figures that count samples of the client's shard: each, where reported, must be at least 1
    /// and at most the shard's size (as well as a count).
    public var shardCounts: Set<String>
    /// Figures that are fractions, such as accuracies: each must lie in [0, 1] where reported.
    public var fractionMetrics: Set<String>

    /// A contract; `samples` is required and the runtime's figures are counts by default.
    public init(
        entries: [Entry] = [], requiredMetrics: Set<String> = ["samples"],
        countMetrics: Set<String> = ResultContract.standardCounts, shardCounts: Set<String> = ["samples"],
        fractionMetrics: Set<String> = ["accuracy"]
    ) {
        self.entries = entries
        self.requiredMetrics = requiredMetrics
        self.countMetrics = countMetrics
        self.shardCounts = shardCounts
        self.fractionMetrics = fractionMetrics
    }

    /// This contract, also asking for the client's evaluation of its own model on its held-out
    /// split (`PersonalEvaluation`): the accuracy in [0, 1], the loss, and the held-out samples,
    /// a count no larger than the shard.
    public var personalized: ResultContract {
        var contract = self
        contract.requiredMetrics.formUnion(PersonalEvaluation.metrics)
        contract.countMetrics.insert(PersonalEvaluation.samples)
        contract.shardCounts.insert(PersonalEvaluation.samples)
        contract.fractionMetrics.insert(PersonalEvaluation.accuracy)
        return contract
    }

    /// Whether results of this contract carry a personalized evaluation the runtime records.
    public var isPersonalized: Bool { requiredMetrics.isSuperset(of: PersonalEvaluation.metrics) }

    /// The figures every client reports as counts: samples, FLOPs and bytes.
    public static let standardCounts: Set<String> = [
        "samples", "flops", "peak_memory_bytes", "predicted_peak_bytes",
    ]

    /// The contract of a task whose client sends back the state it received: each dense tensor
    /// dense in the same shape, each pruned weight under the mask sent (moved only if
    /// `masksMayMove`); masks sent alone come back as nothing.
    public static func returningState(of task: ClientTask, masksMayMove: Bool = false) -> ResultContract {
        ResultContract(entries: task.tensors.compactMap { stateEntry($0, masksMayMove: masksMayMove) })
    }

    /// The entry for one state tensor sent in a task, or nil for a mask sent alone.
    public static func stateEntry(_ tensor: NamedTensor, masksMayMove: Bool = false) -> Entry? {
        switch tensor.payload {
        case .dense(let values):
            return Entry(name: tensor.name, form: .dense(shape: values.shape))
        case .sparse(let shape, let indices, _):
            return Entry(name: tensor.name, form: .masked(shape: shape, kept: indices, mayMove: masksMayMove))
        case .mask, .maskUnchanged:
            return nil
        }
    }

    /// The entry called `name`, if the contract has one.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
