import Foundation
import OrchardData
import OrchardFederation
import OrchardNN
import OrchardTopology

/// Everything the coordinator side of a run does: data, method, hosts, rounds, and the ending.
public final class CoordinatorSession {
    public let configuration: RunConfiguration
    public let coordinator: Coordinator
    let method: any ServerMethod

    /// Prepares the run of `plan` and binds `endpoint` (`tcp://127.0.0.1:*` picks a free port).
    public init(plan: RunPlan, endpoint: String, expectedHosts: Int = 1, recorder: (any RoundRecorder)?) throws {
        configuration = try RunConfiguration(plan)
        let data = try RunData.load(plan, clients: [])
        method = try MethodRegistry.server(plan.topology.method.name, setup: configuration.setup)
        var settings = configuration.coordinatorSettings(endpoint: endpoint)
        settings.expectedHosts = expectedHosts
        coordinator = try Coordinator(
            settings: settings, profiles: configuration.profiles, sampler: configuration.sampler, method: method,
            test: data.test, recorder: recorder, workOfClient: data.sizes)
    }

    /// The global model, for checkpoints and hashes.
    public var global: Network { method.global }

    /// Restores the global state saved after `round`, so the run continues with the round after it.
    public func restore(values: [Float]) throws {
        let archive = try ParameterArchive(entries: ParameterArchive(method.global).entries, values: values)
        try archive.load(into: method.global)
    }

    /// Waits for the hosts, runs the rounds from `first`, and tells the hosts to stop.
    public func execute(from first: Int, simTime: Double, progress: (Coordinator.Progress) -> Void) throws
        -> Coordinator.Outcome
    {
        defer { coordinator.shutdownHosts(reason: StopSignal.isRequested ? "stopped" : "run complete") }
        try coordinator.waitForHosts()
        return try coordinator.run(from: first, simTime: simTime, progress: progress)
    }
}
