/// LotteryFL's settings, read from a method's setup and checked.
struct LotteryFLConfiguration: Sendable, Equatable {
    /// The density each client prunes its own mask down to, per prunable layer.
    var density: Double
    /// The fraction of a layer's remaining weights a client prunes in one step.
    var pruneRate: Double
    /// The held-out accuracy the received model must reach before its client prunes.
    var accuracyThreshold: Double
    /// The share of each client's shard held out to evaluate its model.
    var holdoutFraction: Double
    /// Whether a client that pruned resets its kept weights to their initial values.
    var rewind: Bool

    /// The settings a topology gave, checked.
    init(_ settings: LotteryFLSettings) throws {
        try self.init(
            density: settings.pruning.density, pruneRate: settings.pruneRate,
            accuracyThreshold: settings.accuracyThreshold, holdoutFraction: settings.holdoutFraction,
            rewind: settings.rewind)
    }

    init(density: Double, pruneRate: Double, accuracyThreshold: Double, holdoutFraction: Double, rewind: Bool) throws {
        guard density > 0 && density <= 1 else {
            throw FederationError("lotteryfl: density \(density) is not in (0, 1]")
        }
        guard pruneRate > 0 && pruneRate < 1 else {
            throw FederationError("lotteryfl: prune_rate \(pruneRate) is not in (0, 1)")
        }
        guard (0...1).contains(accuracyThreshold) else {
            throw FederationError("lotteryfl: accuracy_threshold \(accuracyThreshold) is not in [0, 1]")
        }
        guard holdoutFraction > 0 && holdoutFraction < 1 else {
            throw FederationError("lotteryfl: holdout_fraction \(holdoutFraction) is not in (0, 1)")
        }
        self.density = density
        self.pruneRate = pruneRate
        self.accuracyThreshold = accuracyThreshold
        self.holdoutFraction = holdoutFraction
        self.rewind = rewind
    }

    /// The task settings that carry the configuration to the client.
    var taskSettings: [String: Double] {
        [
            "density": density, "prune_rate": pruneRate, "accuracy_threshold": accuracyThreshold,
            "holdout_fraction": holdoutFraction, "rewind": rewind ? 1 : 0,
        ]
    }

    /// The configuration a task carries, checked as the server's is.
    init(task: borrowing ClientTask) throws {
        try self.init(
            density: task.setting("density"), pruneRate: task.setting("prune_rate"),
            accuracyThreshold: task.setting("accuracy_threshold"), holdoutFraction: task.setting("holdout_fraction"),
            rewind: task.setting("rewind") != 0)
    }
}
