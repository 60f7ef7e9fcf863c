import OrchardData
import OrchardTensor

/// One logical client as its host process sees it: an id, its shard of the training data, and
/// the memory its training may use.
public struct LocalClient: Sendable {
    public let id: Int
    public let data: Dataset
    /// The bytes training may hold at once, or nil for no budget.
    public let memoryBudget: Int?

    public init(id: Int, data: Dataset, memoryBudget: Int? = nil) {
        self.id = id
        self.data = data
        self.memoryBudget = memoryBudget
    }
}
