import OrchardStore

/// Where the coordinator writes each round, with its checkpoint when one is due, all or nothing.
///
/// `RunStore` is the real one; tests may collect the commits in memory.
public protocol RoundRecorder: AnyObject {
    func commit(_ round: RoundCommit) throws
}

/// Commits rounds of one run to its SQLite store.
public final class StoreRecorder: RoundRecorder {
    public let store: RunStore
    public let run: RunID

    public init(store: RunStore, run: RunID) {
        self.store = store
        self.run = run
    }

    public func commit(_ round: RoundCommit) throws { try store.commitRound(round, run: run) }
}
