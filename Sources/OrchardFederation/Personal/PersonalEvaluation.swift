import OrchardData
import OrchardNN

/// The figures a personalized method's client reports about its own model on its held-out split.
///
/// A method opts in by asking for them in its result contract (`ResultContract.personalized`);
/// the runtime then rejects a result without them and records them per client and round
/// (`client_evaluations` in the run file), and `orchard report` summarises them over clients.
public enum PersonalEvaluation {
    /// The share of the held-out samples the client's model classifies correctly, in [0, 1].
    public static let accuracy = "personal_accuracy"
    /// The mean cross-entropy loss on the held-out samples, zero or more.
    public static let loss = "personal_loss"
    /// How many samples were held out: a count, at least 1.
    public static let samples = "personal_samples"

    /// The three figures' names.
    public static let metrics: Set<String> = [accuracy, loss, samples]

    /// Evaluates `network` on `heldOut` in evaluation mode and returns the three figures.
    public static func evaluate(_ network: Network, on heldOut: Dataset, batch: Int) -> [String: Double] {
        let summary = Trainer(network: network, learningRate: 0).evaluate(on: heldOut, batchSize: max(1, batch))
        return [accuracy: summary.accuracy, loss: summary.loss, samples: Double(summary.samples)]
    }
}
