import ArgumentParser
import Foundation
import OrchardReport
import OrchardStore
import OrchardTopology

/// One run of a sweep: a cell with one seed, its checked topology and its run file.
struct SweepJob {
    let cell: String
    let seed: UInt64
    /// `CELL-seedS`: the run's name in file names and progress lines.
    let name: String
    /// The base topology file, as the sweep names it.
    let topology: String
    let overrides: [TopologyOverride]
    /// The topology text the run records, which a completed run file must hold.
    let source: String
    let database: String
    /// Where the run's own output goes.
    let log: String
    /// Whether the run continues the run file's run rather than starting one.
    var resume = false

    /// How a run file stands when the sweep starts.
    enum Start: Equatable {
        case complete, fresh, resume
    }

    /// Every run of `sweep`, each topology checked; prints every mistake and fails if there is any.
    static func plan(_ sweep: Sweep, folder: String, root: String) throws -> [SweepJob] {
        let loader = TopologyLoader(root: root)
        var jobs: [SweepJob] = []
        var mistakes: [String] = []
        for cell in sweep.cells {
            for seed in sweep.seeds {
                let overrides = cell.overrides(seed: seed)
                do {
                    let plan = try loader.load(file: sweep.topology, overrides: overrides)
                    let name = cell.runName(seed: seed)
                    jobs.append(
                        SweepJob(
                            cell: cell.name, seed: seed, name: name, topology: sweep.topology, overrides: overrides,
                            source: plan.source, database: "\(folder)/runs/\(name).sqlite",
                            log: "\(folder)/logs/\(name).log"))
                } catch {
                    let lines = error.diagnostics.map { "\(sweep.file): cell \(cell.name): \($0)" }
                    mistakes += lines.filter { !mistakes.contains($0) }
                }
            }
        }
        guard mistakes.isEmpty else {
            for line in mistakes { SweepCommand.note(line) }
            SweepCommand.note("sweep: \(mistakes.count) mistake(s); nothing was run")
            throw ExitCode.failure
        }
        for folder in ["\(folder)/runs", "\(folder)/logs"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        return jobs
    }

    /// Decides how the run starts: skipped when its file holds the completed run, resumed when it
    /// holds an interrupted run of the same topology with a checkpoint, otherwise started afresh
    /// (an earlier file removed).
    /// - Throws: when the file holds a completed run of another topology: its results are not
    ///   thrown away silently.
    mutating func prepare() throws -> Start {
        guard FileManager.default.fileExists(atPath: database) else { return .fresh }
        let record = try existingRun()
        if let record, record.info.topologyYAML == source {
            if record.status == .completed { return .complete }
            if try hasCheckpoint(record.id) {
                resume = true
                return .resume
            }
        } else if let record, record.status == .completed {
            SweepCommand.note(
                "sweep: \(database) holds a completed run of another topology than \(name)'s (the sweep or its "
                    + "base changed); remove it or choose another --out")
            throw ExitCode.failure
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            try FileManager.default.removeItem(atPath: database + suffix)
        }
        return .fresh
    }

    /// The summary of the file's run if it completed with this job's topology, else nil.
    func completedSummary() throws -> RunSummary? {
        guard FileManager.default.fileExists(atPath: database) else { return nil }
        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        guard let latest = try store.latestRun() else { return nil }
        let record = try store.runRecord(latest)
        guard record.status == .completed, record.info.topologyYAML == source else { return nil }
        return try RunSummary(store: store, run: latest)
    }

    /// The arguments of the `orchard run` that runs this job.
    func arguments(root: String, processes: Int) -> [String] {
        ["run", topology, "--db", database, "--root", root, "--processes", String(processes)]
            + overrides.flatMap { ["--set", $0.argument] } + (resume ? ["--resume"] : [])
    }

    /// The latest run in the file, or nil when it has none (a file left by a run that never started).
    private func existingRun() throws -> RunRecord? {
        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        return try store.latestRun().map { try store.runRecord($0) }
    }

    private func hasCheckpoint(_ run: RunID) throws -> Bool {
        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        return try !store.checkpoints(run: run).isEmpty
    }
}
