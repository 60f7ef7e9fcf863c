import Foundation
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardStore
import OrchardTensor
import OrchardTopology
import OrchardWire

/// Everything the coordinator side of a run does: store, data, method, hosts, rounds, the ending.
public final class CoordinatorSession {
    public let configuration: RunConfiguration
    public let coordinator: Coordinator
    public let store: RunStore
    public let run: RunID
    let method: any ServerMethod
    let recorder: StoreRecorder
    /// The round to run first and the simulated time it starts at (after a checkpoint when resuming).
    public let firstRound: Int
    public let simTime: Double

    /// Prepares a run of `plan` recorded in `database`, bound to `endpoint`.
    ///
    /// A new run needs a database file that does not exist yet. With `resume`, the file's latest run
    /// continues from its last checkpoint: the rounds committed after it are deleted and run again,
    /// which gives the same model as an uninterrupted run because every random choice is derived
    /// from the seed and the round.
    public init(
        plan: RunPlan, database: String, resume: Bool, endpoint: String, expectedHosts: Int = 1,
        security: WireSecurity = .insecure, measureLinks: Bool = false
    ) throws {
        configuration = try RunConfiguration(plan)
        let data = try RunData.load(plan, keepTrain: configuration.needsServerData)
        method = try MethodRegistry.standard.server(plan.topology.method.name, setup: configuration.serverSetup(data))
        var devices = DeviceMasks()
        if resume {
            store = try RunStore.open(at: database)
            guard let latest = try store.latestRun() else { throw RuntimeError("\(database): no run to resume") }
            let record = try store.runRecord(latest)
            guard record.info.topologyYAML == plan.source else {
                throw RuntimeError(
                    "\(database): run \(latest) was started from another topology than \(plan.file); "
                        + "resume it with the same file, or start a new run with another --db")
            }
            run = latest
            let point = try store.prepareResume(run: latest)
            if let checkpoint = point.checkpoint {
                let extra = try CheckpointExtra.split(checkpoint.state.extra)
                devices = extra.devices
                // Masks first, so that the values load under the masks the run had reached.
                try method.restore(checkpointExtra: extra.method)
                let archive = try ParameterArchive(
                    entries: ParameterArchive(method.global).entries, values: checkpoint.state.values)
                try archive.load(into: method.global)
            }
            firstRound = point.nextRound
            simTime = point.checkpoint?.simTime ?? 0
        } else {
            guard !FileManager.default.fileExists(atPath: database) else {
                throw RuntimeError("\(database) already exists: continue its run with --resume, or choose another --db")
            }
            store = try RunStore.create(at: database)
            let topology = plan.topology
            run = try store.startRun(
                RunInfo(
                    name: topology.name, topologyYAML: plan.source, method: topology.method.name,
                    model: topology.model.name, dataset: topology.dataset.displayName, seed: topology.seed,
                    orchardVersion: OrchardVersion.current, processes: expectedHosts, plannedRounds: topology.rounds,
                    checkpointInterval: topology.checkpointEvery))
            try Self.registerClients(configuration.clients, sizes: data.sizes, in: store, run: run)
            firstRound = 1
            simTime = 0
        }
        recorder = StoreRecorder(store: store, run: run)
        var settings = configuration.coordinatorSettings(endpoint: endpoint)
        settings.expectedHosts = expectedHosts
        settings.measureLinks = measureLinks
        settings.wire.limits = try RunLimits.decoding(for: configuration.setup)
        settings.runID = UInt64(run.rawValue)
        settings.wire.security = security
        coordinator = try Coordinator(
            settings: settings, clients: configuration.clients, sampler: configuration.sampler, method: method,
            test: data.test, recorder: recorder, sizes: data.sizes)
        // The devices hold what they held at the checkpoint, so the bytes counted go on as before.
        coordinator.deviceMasks = devices
    }

    /// The global model.
    public var global: Network { method.global }

    /// Waits for the hosts, runs the rounds, tells the hosts to stop, and marks the run's status.
    public func execute(progress: (Coordinator.Progress) -> Void) throws -> Coordinator.Outcome {
        do {
            defer { coordinator.shutdownHosts(reason: StopSignal.isRequested ? "stopped" : "run complete") }
            try coordinator.waitForHosts()
            let before: Int? = firstRound > 1 ? firstRound - 1 : nil
            let outcome =
                StopSignal.isRequested
                ? .stopped(afterRound: before)
                : try coordinator.run(from: firstRound, simTime: simTime, progress: progress)
            switch outcome {
            case .completed: try store.finishRun(run, status: .completed)
            case .stopped(let round):
                try store.finishRun(
                    run, status: .stopped, detail: "stopped after round \(round.map(String.init) ?? "none")")
            }
            return outcome
        } catch {
            try? store.finishRun(run, status: .failed, detail: "\(error)")
            throw error
        }
    }

    /// Writes the store's description of each client, a block of them at a time so that the
    /// records of a million clients are never all held at once.
    static func registerClients(_ clients: ClientDirectory, sizes: ShardSizes, in store: RunStore, run: RunID) throws {
        for block in clients.blocks {
            for start in stride(from: block.first, to: block.ids.upperBound, by: recordsAtOnce) {
                let ids = start..<min(start + recordsAtOnce, block.ids.upperBound)
                try store.registerClients(ids.map { clientRecord(block.profile, id: $0, sizes: sizes) }, run: run)
            }
        }
    }

    /// How many client records are written in one transaction.
    static let recordsAtOnce = 50_000

    /// The store's description of client `id` of a block of `profile`; a link or speed the
    /// topology leaves out is written as 0.
    static func clientRecord(_ profile: ClientProfile, id: Int, sizes: ShardSizes) -> ClientRecord {
        func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
        return ClientRecord(
            clientID: id, group: profile.group, memoryBudgetBytes: profile.memoryBudget,
            uplinkBitsPerSecond: finite(profile.uplinkBitsPerSecond),
            downlinkBitsPerSecond: finite(profile.downlinkBitsPerSecond), latencySeconds: profile.latencySeconds,
            computeFLOPsPerSecond: finite(profile.flopsPerSecond), availability: profile.availability,
            trainSamples: sizes[id] ?? 0)
    }
}
