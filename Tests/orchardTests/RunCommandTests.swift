import Foundation
import OrchardStore
import OrchardTestSupport
import Testing

/// A small federation for the end-to-end runs: Synthetic(0.5, 0.5), an MLP, FedAvg, quick rounds.
func smallTopology(
    rounds: Int, checkpointEvery: Int = 5, taskTimeout: String = "10min", groups: String? = nil,
    method: String = "fedavg", clientsPerRound: Int = 6
) -> String {
    """
    name: e2e
    seed: 7
    rounds: \(rounds)
    dataset: {kind: synthetic, alpha: 0.5, beta: 0.5}
    model: mlp
    method: \(method)
    training: {epochs: 1, batch: 32, lr: 0.05}
    clients_per_round: \(clientsPerRound)
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

    /// Starts `orchard` with `arguments`, and `environment` over this process's.
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

    /// The endpoint `orchard coordinator` reports it listens on, once it has said so.
    ///
    /// Fails if the process ends first. The test's time limit bounds the wait.
    func listeningEndpoint() async throws -> String {
        while true {
            let running = process.isRunning
            if let line = errors.split(separator: "\n").first(where: { $0.contains("listening on ") }),
                let range = line.range(of: "listening on ")
            {
                return String(line[range.upperBound...])
            }
            guard running else {
                throw OrchardProcess.Failure(
                    description: "the coordinator ended without saying where it listens: \(errors)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        kill()  // SIGKILL: it also ends a process that a test stopped
        folder.remove()
    }
}

/// Waits until the run in `database` has committed `round`.
///
/// Fails if `writer`, the process running it, ends first. The test's time limit bounds the wait.
func waitForRound(_ round: Int, in database: String, of writer: BackgroundOrchard) async throws {
    while true {
        let running = writer.process.isRunning
        if let store = try? RunStore.open(at: database, access: .readOnly), let run = try? store.latestRun(),
            let last = try? store.lastCommittedRound(run: run), last >= round
        {
            return
        }
        guard running else {
            throw OrchardProcess.Failure(
                description: "\(database) did not reach round \(round) before orchard ended: \(writer.errors)")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Waits for the first round after `round` whose record of `client` satisfies `condition`.
///
/// Returns that round; fails if `coordinator` ends first. The test's time limit bounds the wait.
func waitForClient(
    _ client: Int, after round: Int, of run: RunID, in store: RunStore, coordinator: BackgroundOrchard,
    where condition: (ClientRoundRecord) -> Bool
) async throws -> Int {
    var checked = round
    while true {
        let running = coordinator.process.isRunning
        let last = try store.lastCommittedRound(run: run) ?? checked
        while checked < last {
            checked += 1
            let records = try store.roundCommit(run: run, round: checked)?.clientRounds ?? []
            if records.contains(where: { $0.clientID == client && condition($0) }) { return checked }
        }
        guard running else {
            throw OrchardProcess.Failure(
                description: "the run ended at round \(checked) before client \(client) did: \(coordinator.errors)")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

@Suite("orchard run end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
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
        try await waitForRound(12, in: database, of: run)
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
        try await waitForRound(8, in: database, of: run)
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

    /// Two hosts: one serves clients 0-10, the other client 11 alone; the second hangs (stopped
    /// with SIGSTOP, so it keeps its connection and answers nothing), is lost after three silent
    /// heartbeats (1.5 s, long before the task timeout) so that client 11 is dropped, is killed,
    /// and is later started again.
    ///
    /// The task timeout, 10 s, is over five times what the largest task of this MLP (1,600
    /// samples) took on two cores under a load of 20, so the live host's tasks do not reach it. A
    /// round waits for the last deadline of its tasks, the timeout times the longest queue of a
    /// host: four tasks a round keep that wait under a minute.
    @Test func aFrozenHostIsLostItsClientDroppedAndServedAgainWhenItReturns() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 400, checkpointEvery: 50, taskTimeout: "10s", clientsPerRound: 4)
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("hosts.sqlite")
        let coordinator = try BackgroundOrchard([
            "coordinator", "--topology", topology, "--bind", "tcp://127.0.0.1:*", "--hosts", "2", "--db", database,
        ])
        let endpoint = try await coordinator.listeningEndpoint()
        func host(_ clients: String, _ name: String) throws -> BackgroundOrchard {
            try BackgroundOrchard([
                "client", "--connect", endpoint, "--topology", topology, "--clients", clients, "--host-id", name,
            ])
        }
        let steady = try host("0-10", "a")
        var flaky = try host("11", "b")
        try await waitForRound(5, in: database, of: coordinator)
        Foundation.kill(flaky.process.processIdentifier, SIGSTOP)
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        let stoppedAfter = try #require(try store.lastCommittedRound(run: run))
        _ = try await waitForClient(11, after: stoppedAfter, of: run, in: store, coordinator: coordinator) {
            $0.status == .dropped && ($0.reason ?? "").contains("was lost")
        }
        flaky.kill()
        // Every round committed so far ended before the host came back.
        let returnedAfter = try #require(try store.lastCommittedRound(run: run))
        flaky = try host("11", "b")
        let servedAgain = try await waitForClient(
            11, after: returnedAfter, of: run, in: store, coordinator: coordinator
        ) {
            $0.status == .ok
        }
        coordinator.kill()
        withExtendedLifetime((steady, flaky)) {}

        for round in (stoppedAfter + 1)...servedAgain {
            let commit = try #require(try store.roundCommit(run: run, round: round))
            #expect(commit.clientRounds.filter { $0.clientID < 11 }.allSatisfy { $0.status == .ok }, "round \(round)")
        }
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
        try await waitForRound(2, in: database, of: run)
        let hosts = Self.children(of: run.process.processIdentifier)
        #expect(hosts.count == 2, "hosts: \(hosts)")
        let frozen = try #require(hosts.first)
        Foundation.kill(frozen, SIGSTOP)
        defer { Foundation.kill(frozen, SIGKILL) }
        while run.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
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
        try await waitForRound(2, in: database, of: coordinator)
        let second = try await OrchardProcess.run([
            "client", "--connect", endpoint, "--topology", topology, "--clients", "0-11", "--host-id", "same",
        ])
        #expect(second.status != 0)
        #expect(second.standardError.contains("in use by another live process"), "\(second.standardError)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let run = try #require(try store.latestRun())
        let reached = try #require(try store.lastCommittedRound(run: run))
        try await waitForRound(reached + 3, in: database, of: coordinator)
        coordinator.kill()
        _ = first
    }

    @Test func sigtermStopsTheRunWithStatus143() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("e2e.yaml")
        try smallTopology(rounds: 60).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("terminated.sqlite")
        let run = try BackgroundOrchard(["run", topology, "--processes", "1", "--db", database])
        try await waitForRound(2, in: database, of: run)
        run.process.terminate()
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 143, "\(run.errors)")
        let store = try RunStore.open(at: database, access: .readOnly)
        let stopped = try #require(try store.latestRun())
        #expect(try store.runRecord(stopped).status == .stopped)
    }
}
