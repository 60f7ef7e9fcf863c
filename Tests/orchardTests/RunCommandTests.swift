import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// A small federation for the end-to-end runs: Synthetic(0.5, 0.5), an MLP, FedAvg, quick rounds.
func smallTopology(
    rounds: Int, checkpointEvery: Int = 5, taskTimeout: String = "10min", groups: String? = nil,
    method: String = "fedavg"
) -> String {
    """
    name: e2e
    seed: 7
    rounds: \(rounds)
    dataset: {kind: synthetic, alpha: 0.5, beta: 0.5}
    model: mlp
    method: \(method)
    training: {epochs: 1, batch: 32, lr: 0.05}
    clients_per_round: 6
    checkpoint_every: \(checkpointEvery)
    timeouts: {task: \(taskTimeout), heartbeat: 500ms}
    quorum: 0.25
    groups:
    \(groups ?? "  - {name: devices, count: 12, link: {up: 5Mbps, down: 20Mbps, latency: 30ms}, compute: 1GFLOPS}")
    """
}

/// An `orchard` process running in the background, with its output in files.
final class BackgroundOrchard {
    let process = Process()
    let folder: TemporaryFolder

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        folder = try TemporaryFolder()
        process.executableURL = try OrchardProcess.executable()
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: folder.file("stderr"), contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("stderr")))
        try process.run()
    }

    var errors: String { (try? String(contentsOfFile: folder.file("stderr"), encoding: .utf8)) ?? "" }

    /// The endpoint `orchard coordinator` reports it listens on.
    func listeningEndpoint() async throws -> String {
        let until = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < until {
            if let line = errors.split(separator: "\n").first(where: { $0.contains("listening on ") }),
                let range = line.range(of: "listening on ")
            {
                return String(line[range.upperBound...])
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw OrchardProcess.Failure(description: "the coordinator did not say where it listens: \(errors)")
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
        folder.remove()
    }
}

/// Waits until the run in `database` has committed `round`, or fails after `limit`.
func waitForRound(_ round: Int, in database: String, limit: Duration = .seconds(120)) async throws {
    let until = ContinuousClock.now + limit
    while ContinuousClock.now < until {
        if let store = try? RunStore.open(at: database, access: .readOnly), let run = try? store.latestRun(),
            let last = try? store.lastCommittedRound(run: run), last >= round
        {
            return
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw OrchardProcess.Failure(description: "\(database) did not reach round \(round) within \(limit)")
}

@Suite("orchard run end to end", .serialized)
struct RunCommandTests {
    func finalHash(_ database: String) async throws -> String {
        try await OrchardProcess.run(["report", database, "--json"]).report().string("final_model_sha256")
    }

    @Test func oneTwoAndFourProcessesGiveTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 6).write(toFile: topology, atomically: true, encoding: .utf8)
        var hashes: [String] = []
        for processes in [1, 2, 4] {
            let database = folder.file("run-\(processes).sqlite")
            let outcome = try await OrchardProcess.run([
                "run", topology, "--processes", "\(processes)", "--db", database,
            ])
            #expect(outcome.status == 0, "\(outcome)")
            #expect(outcome.standardOutput.contains("Final model sha256"))
            hashes.append(try await finalHash(database))
        }
        #expect(hashes.count == 3 && Set(hashes).count == 1, "\(hashes)")
        let report = try await OrchardProcess.run(["report", folder.file("run-2.sqlite"), "--json"]).report()
        #expect(try report.integer("rounds") == 6)
        #expect(try report.integer("bytes_up") > 0 && report.integer("bytes_down") > 0)
    }

    @Test func aKilledCoordinatorResumesToTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 60).write(toFile: topology, atomically: true, encoding: .utf8)
        let reference = folder.file("reference.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", reference]).status == 0)

        let database = folder.file("killed.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", database])
        try await waitForRound(12, in: database)
        run.kill()
        let store = try RunStore.open(at: database, access: .readOnly)
        let killed = try #require(try store.latestRun())
        #expect(try store.runRecord(killed).status == .running)
        let committed = try #require(try store.lastCommittedRound(run: killed))
        #expect(committed < 60)

        let resumed = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", database, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardError.contains("resuming at round"))
        #expect(try await finalHash(database) == finalHash(reference))
    }

    @Test func ctrlCStopsCleanlyAndTheRunCanGoOn() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 60).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("stopped.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", database])
        try await waitForRound(8, in: database)
        Foundation.kill(run.process.processIdentifier, SIGINT)
        run.process.waitUntilExit()
        // 128 + SIGINT, as a shell reports a process Ctrl-C ended: `orchard run ... && next` stops.
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 130, "\(run.errors)")
        #expect(run.errors.contains("continue with --resume"))
        let store = try RunStore.open(at: database, access: .readOnly)
        let stopped = try #require(try store.latestRun())
        #expect(try store.runRecord(stopped).status == .stopped)
        let kept = try #require(try store.lastCommittedRound(run: stopped))
        #expect(kept >= 8 && kept < 60)
        let resumed = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", database, "--resume"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try store.runRecord(stopped).status == .completed)
    }

    @Test func sigtermStopsTheRunWithStatus143() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 60).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("terminated.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "1", "--db", database])
        try await waitForRound(2, in: database)
        run.process.terminate()
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 143, "\(run.errors)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let stopped = try #require(try store.latestRun())
        #expect(try store.runRecord(stopped).status == .stopped)
    }

    @Test func anInvalidTopologyStartsNothing() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("bad.yaml")
        try smallTopology(rounds: 0).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("never.sqlite")
        let outcome = try await OrchardProcess.run(["run", topology, "--db", database])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("bad.yaml:3:"), "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    /// Two hosts on separate client ranges; one is killed and later started again. The dead host
    /// is lost after three silent heartbeats (1.5 s), long before the task timeout.
    @Test func aDeadHostIsLostAndItsClientsAreServedAgainWhenItReturns() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 400, checkpointEvery: 50, taskTimeout: "10min")
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("hosts.sqlite")
        let coordinator = try BackgroundOrchard([
            "coordinator", "--topology", topology, "--bind", "tcp://127.0.0.1:*", "--hosts", "2", "--db", database,
        ])
        let endpoint = try await coordinator.listeningEndpoint()
        let steady = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-5", "--host-id", "a",
        ])
        var flaky = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "6-11", "--host-id", "b",
        ])
        do {
            try await waitForRound(5, in: database, limit: .seconds(60))
        } catch {
            Issue.record("\(error); coordinator said: \(coordinator.errors)")
            throw error
        }
        flaky.kill()
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        let killedAfter = try #require(try store.lastCommittedRound(run: run))
        try await waitForRound(killedAfter + 4, in: database)
        flaky = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "6-11", "--host-id", "b",
        ])
        let returnedAfter = try #require(try store.lastCommittedRound(run: run))

        // Served again: within a minute, a later round has a client of the returned host answering.
        var servedAgain = false
        let until = ContinuousClock.now + .seconds(60)
        var checked = returnedAfter
        while !servedAgain && ContinuousClock.now < until {
            let last = try store.lastCommittedRound(run: run) ?? checked
            for round in (checked + 1)...max(checked + 1, last) where round <= last {
                let clients = try store.roundCommit(run: run, round: round)?.clientRounds ?? []
                servedAgain = servedAgain || clients.contains { $0.clientID >= 6 && $0.status == .ok }
            }
            checked = max(checked, last)
            try await Task.sleep(for: .milliseconds(50))
        }
        coordinator.kill()
        _ = (steady, flaky)
        #expect(servedAgain, "the returned host's clients were not served again; \(coordinator.errors)")

        // The killed host falls silent: it is lost after its liveness, and its clients are dropped.
        var dropped = false
        for round in (killedAfter + 1)...returnedAfter {
            guard let commit = try store.roundCommit(run: run, round: round) else { continue }
            dropped =
                dropped
                || commit.clientRounds.contains {
                    $0.clientID >= 6 && $0.status == .dropped && ($0.reason ?? "").contains("was lost")
                }
            #expect(commit.clientRounds.filter { $0.clientID < 6 }.allSatisfy { $0.status == .ok }, "round \(round)")
        }
        #expect(dropped, "no client of the killed host was dropped as lost")
    }

    /// `orchard run` with two hosts, one frozen with SIGSTOP after round 2: it is lost after three
    /// silent heartbeats (1.5 s), its tasks go to the other host, and the run completes with the
    /// model of a run nobody froze, long before the ten-minute task timeout.
    @Test func aFrozenHostIsLostAndTheRunCompletesWithTheSameModel() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("frozen.yaml")
        try smallTopology(rounds: 8, checkpointEvery: 4, taskTimeout: "10min")
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let clean = folder.file("clean.sqlite")
        let cleanRun = try await OrchardProcess.run(["run", topology, "--processes", "2", "--db", clean])
        #expect(cleanRun.status == 0, "\(cleanRun.standardError)")

        let database = folder.file("frozen.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "2", "--db", database])
        try await waitForRound(2, in: database, limit: .seconds(120))
        let hosts = Self.children(of: run.process.processIdentifier)
        #expect(hosts.count == 2, "hosts: \(hosts)")
        let frozen = try #require(hosts.first)
        Foundation.kill(frozen, SIGSTOP)
        defer { Foundation.kill(frozen, SIGKILL) }
        let until = ContinuousClock.now + .seconds(240)
        while run.process.isRunning && ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(100)) }
        try #require(!run.process.isRunning, "the run did not end: \(run.errors)")
        #expect(run.process.terminationStatus == 0, "\(run.errors)")
        #expect(run.errors.contains("lost"), "\(run.errors)")
        #expect(try await finalHash(database) == (try await finalHash(clean)))
    }

    /// The process ids whose parent is `parent`, from /proc.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == parent
        }.sorted()
    }

    /// A second `orchard client` under a live host's id is refused with a clear error and a
    /// non-zero exit; the first host keeps serving and the run goes on.
    @Test func aSecondHostUnderTheSameIDIsRefused() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("twice.yaml")
        try smallTopology(rounds: 400, checkpointEvery: 50).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("twice.sqlite")
        let coordinator = try BackgroundOrchard([
            "coordinator", "--topology", topology, "--bind", "tcp://127.0.0.1:*", "--hosts", "1", "--db", database,
        ])
        let endpoint = try await coordinator.listeningEndpoint()
        let first = try BackgroundOrchard([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-11", "--host-id", "same",
        ])
        try await waitForRound(2, in: database, limit: .seconds(60))
        let second = try await OrchardProcess.run([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-11", "--host-id", "same",
        ])
        #expect(second.status != 0)
        #expect(second.standardError.contains("in use by another live process"), "\(second.standardError)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        let reached = try #require(try store.lastCommittedRound(run: run))
        try await waitForRound(reached + 3, in: database, limit: .seconds(60))
        coordinator.kill()
        _ = first
    }
}
