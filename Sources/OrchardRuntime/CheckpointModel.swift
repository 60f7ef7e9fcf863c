import Foundation
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardStore
import OrchardTopology

/// A run's global model at a checkpointed round, rebuilt from its run file as a resumed run would.
public struct CheckpointModel {
    /// The run's row.
    public let record: RunRecord
    /// The run's topology, as the run file holds it.
    public let plan: RunPlan
    /// The round after which the checkpoint was taken.
    public let round: Int
    /// The global model with the checkpoint's values and masks.
    public let network: Network
    /// The round's recorded test accuracy (0 to 1), if it evaluated.
    public let accuracy: Double?
    /// The round's recorded density over the prunable weights, if known.
    public let density: Double?
    /// The run's test set.
    public let test: Dataset

    /// The model of the last run in `database` after `round` (the latest checkpoint when nil).
    ///
    /// The topology is read back from the run file, with data paths resolving against `root`; the
    /// method restores its masks from the checkpoint before the values are loaded, as on resume.
    public static func load(database: String, round: Int?, root: String) throws -> CheckpointModel {
        guard FileManager.default.fileExists(atPath: database) else { throw RuntimeError("\(database): no such file") }
        let store = try RunStore.open(at: database, access: .readOnly)
        guard let run = try store.latestRun() else { throw RuntimeError("\(database): holds no run") }
        let record = try store.runRecord(run)
        let checkpoint: Checkpoint
        if let round {
            guard let found = try store.checkpoint(run: run, round: round) else {
                let rounds = try store.checkpoints(run: run).map { String($0.round) }
                throw RuntimeError(
                    "\(database): run \(run) has no checkpoint of round \(round); checkpointed rounds: "
                        + (rounds.isEmpty ? "none" : rounds.joined(separator: ", ")))
            }
            checkpoint = found
        } else {
            guard let latest = try store.latestCheckpoint(run: run) else {
                throw RuntimeError("\(database): run \(run) has no checkpoint yet")
            }
            checkpoint = latest
        }
        let plan = try TopologyLoader(root: root).load(text: record.info.topologyYAML, file: "\(database) (run \(run))")
        let configuration = try RunConfiguration(plan)
        let data = try RunData.load(plan, keepTrain: configuration.needsServerData)
        let method = try MethodRegistry.standard.server(
            plan.topology.method.name, setup: configuration.serverSetup(data))
        try method.restore(checkpointExtra: try CheckpointExtra.split(checkpoint.state.extra).method)
        let archive = try ParameterArchive(
            entries: ParameterArchive(method.global).entries, values: checkpoint.state.values)
        try archive.load(into: method.global)
        let roundRecord = try store.rounds(run: run).first { $0.round == checkpoint.round }
        return CheckpointModel(
            record: record, plan: plan, round: checkpoint.round, network: method.global,
            accuracy: roundRecord?.testAccuracy, density: roundRecord?.globalDensity, test: data.test)
    }
}
