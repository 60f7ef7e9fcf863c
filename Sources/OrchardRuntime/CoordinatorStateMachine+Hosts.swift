import OrchardStore
import OrchardWire

/// Hellos and lost hosts.
extension CoordinatorStateMachine {
    /// Registers a host that says hello, or refuses it with an error that says why.
    ///
    /// A hello must come from the connection whose routing id is its host id, name only clients
    /// of the run, and fit under the cap on hosts. A host that says hello again (a new process,
    /// or the lazy pirate's new socket) holds no masks, and gets its unanswered tasks again.
    mutating func register(_ hello: Hello, from peer: PeerID, now: ContinuousClock.Instant) -> [Action] {
        // A refused stranger leaves nothing behind but its count in the ledger.
        if let refusal = refusal(of: hello, from: peer, now: now) {
            return reject(peer, code: refusal.code, message: refusal.reason, now: now, kind: .hello)
        }
        // The wire checked the ranges sorted and disjoint, so they make a set of clients.
        guard let clients = try? ClientRanges(hello.clientRanges.map { Int($0.lowerBound)...Int($0.upperBound) }) else {
            return reject(peer, code: .malformed, message: "the hello names a client twice", now: now, kind: .hello)
        }
        let rejoining = hosts[peer] != nil
        if !rejoining { hostOrder.append(peer) }
        hellos += 1
        hosts[peer] = Host(
            id: hello.hostID, clients: clients, lastHeard: now, softwareVersion: clipped(hello.softwareVersion),
            instance: hello.instance, hello: hellos)
        recordHostEvent(
            HostEventRecord(
                hostID: hello.hostID, event: rejoining ? .rejoined : .joined,
                softwareVersion: clipped(hello.softwareVersion), clients: clients.description))
        let welcome = Welcome(
            topologyName: configuration.topologyName, seed: configuration.seed,
            acceptedClientRanges: hello.clientRanges,
            heartbeatIntervalMilliseconds: UInt32(clamping: configuration.heartbeatInterval.milliseconds),
            heartbeatLiveness: UInt32(clamping: configuration.liveness))
        var actions: [Action] = [
            .forgetMasks(of: peer), .send(Message(runID: configuration.runID, body: .welcome(welcome)), to: peer),
        ]
        // A task still pending for this host was lost with its old socket; were its result in
        // flight after all, the second answer is ignored as late.
        for (taskID, task) in pending.sorted(by: { $0.key < $1.key }) where task.host == peer {
            actions.append(.resend(taskID: taskID, to: peer))
        }
        return actions
    }

    /// Why a hello is refused, if it is.
    ///
    /// A hello from another process (another `instance`) under the id of a host heard from
    /// within the last heartbeat interval (and a second of slack) is a second live process with
    /// that id, not a restart: it is refused, and the host first registered keeps the id.
    func refusal(of hello: Hello, from peer: PeerID, now: ContinuousClock.Instant) -> Rejection? {
        if let current = hosts[peer], current.instance != 0, hello.instance != 0, current.instance != hello.instance,
            now - current.lastHeard < configuration.heartbeatInterval + .seconds(1)
        {
            return Rejection(
                code: .hostIDInUse,
                reason: "host id '\(clipped(hello.hostID))' is in use by another live process, heard "
                    + "\(Self.seconds(now - current.lastHeard)) ago; give each host its own --host-id")
        }
        guard Array(hello.hostID.utf8) == peer else {
            return Rejection(
                code: .unexpectedMessage,
                reason: "the hello names host '\(clipped(hello.hostID))', but the connection's routing id is "
                    + "'\(Self.printable(peer))'")
        }
        let named = hello.clientRanges.map { Int($0.lowerBound)...Int($0.upperBound) }
        let unknown = ClientRanges.difference(named, configuration.clients)
        guard unknown.isEmpty else {
            let run = configuration.clients
            return Rejection(
                code: .unknownClient,
                reason: "the run has no client \(Self.text(unknown)); it has "
                    + "\(run.reduce(0) { $0 + $1.count }) clients, \(Self.text(run))")
        }
        guard hosts[peer] != nil || hosts.count < configuration.maxHosts else {
            return Rejection(
                code: .limitExceeded, reason: "the run takes at most \(configuration.maxHosts) hosts, and has them")
        }
        return nil
    }

    /// Presumes a host lost: its clients lose it, and each of its pending tasks goes to another
    /// live host that serves the same client, or is dropped.
    mutating func lose(_ peer: PeerID, reason: String, now: ContinuousClock.Instant) -> [Action] {
        guard let host = hosts[peer] else { return [] }
        hosts[peer] = nil
        hostOrder.removeAll { $0 == peer }
        recordHostEvent(HostEventRecord(hostID: host.id, event: .lost, reason: reason))
        var actions: [Action] = [.log(.warning, "host '\(host.id)' lost: \(reason)"), .forgetMasks(of: peer)]
        for (taskID, task) in pending.sorted(by: { $0.key < $1.key }) where task.host == peer {
            if let other = leastLoadedHost(serving: task.task.client, excluding: task.rejectedBy) {
                let deadline = now + configuration.taskTimeout * (queueLength(of: other) + 1)
                pending[taskID]?.host = other
                pending[taskID]?.deadline = deadline
                actions.append(.resend(taskID: taskID, to: other))
            } else {
                pending[taskID] = nil
                arrivals[task.task.client] = .dropped(reason: "its host '\(host.id)' was lost: \(reason)")
            }
        }
        return actions
    }

    /// The hosts that serve `client`, in the order of their latest hello.
    func hosts(serving client: Int) -> [PeerID] {
        hostOrder.filter { hosts[$0]?.clients.contains(client) == true }
            .sorted { (hosts[$0]?.hello ?? 0) < (hosts[$1]?.hello ?? 0) }
    }

    /// The clients of the run that no host serves, as sorted ranges.
    func clientsWithoutHost() -> [ClosedRange<Int>] {
        ClientRanges.difference(
            configuration.clients, Array(hostOrder.compactMap { hosts[$0]?.clients.ranges }.joined()))
    }

    /// Ranges as `0-9, 20-29`, the first ten of them.
    static func text(_ ranges: [ClosedRange<Int>]) -> String {
        ranges.prefix(10).map(ClientRanges.text).joined(separator: ", ") + (ranges.count > 10 ? ", ..." : "")
    }

    /// The live host serving `client` with the fewest pending tasks, if any besides `excluded`.
    func leastLoadedHost(serving client: Int, excluding excluded: Set<PeerID> = []) -> PeerID? {
        let candidates = hosts(serving: client).filter { hosts[$0]?.silent == false && !excluded.contains($0) }
        return candidates.min { queueLength(of: $0) < queueLength(of: $1) }
    }

    /// The tasks pending on a host.
    func queueLength(of peer: PeerID) -> Int { pending.values.count { $0.host == peer } }

    /// A peer's routing id as text: its UTF-8, or `0x` and its bytes in hex.
    static func printable(_ peer: PeerID) -> String { PeerRejectionRecord.peer(routingID: peer.prefix(64)) }

    func clipped(_ text: String) -> String { String(text.prefix(100)) }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
