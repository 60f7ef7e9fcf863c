/// A pruning request that cannot be met, with the numbers that show why.
public struct PruningError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
