import OrchardData
import OrchardTensor

/// One logical client as its host process sees it: an id and its shard of the training data.
public struct LocalClient: Sendable {
    public let id: Int
    public let data: Dataset

    public init(id: Int, data: Dataset) {
        self.id = id
        self.data = data
    }
}
