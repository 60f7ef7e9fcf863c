import OrchardFederation
import OrchardWire

/// A round's tasks: where they go, which result answers which, and when they expire.
extension CoordinatorStateMachine {
    /// A task the method planned, with what its result must hold and the work it gives a host.
    struct PlannedTask {
        var task: ClientTask
        var contract: ResultContract
        /// The client's training samples: the unit of a host's load.
        var work: Int
    }

    /// A task given an id, and the host it goes to (nil: it goes nowhere, and is dropped).
    struct Assignment {
        var taskID: UInt64
        var task: ClientTask
        var host: PeerID?
    }

    /// Forgets the previous round's tasks and gives each of this round's an id and a host.
    ///
    /// The largest tasks are placed first, each on the least loaded live host that serves its
    /// client, so hosts that serve the same clients finish a round at about the same time. A host
    /// runs its tasks one at a time, so a task's deadline is the task timeout times its place in
    /// its host's queue.
    mutating func assign(_ planned: [PlannedTask], now: ContinuousClock.Instant) -> [Assignment] {
        pending.removeAll()
        arrivals.removeAll()
        var load: [PeerID: Int] = [:]
        var queued: [PeerID: Int] = [:]
        let ordered = planned.sorted {
            $0.work != $1.work ? $0.work > $1.work : $0.task.client < $1.task.client
        }
        return ordered.map { item in
            let taskID = nextTaskID
            nextTaskID += 1
            let client = item.task.client
            let serving = hosts(serving: client)
            let candidates = serving.filter { hosts[$0]?.silent == false }
            guard let host = candidates.min(by: { load[$0, default: 0] < load[$1, default: 0] }) else {
                let reason =
                    serving.isEmpty
                    ? "no host serves this client" : "its hosts are silent (their last task timed out)"
                arrivals[client] = .dropped(reason: reason)
                return Assignment(taskID: taskID, task: item.task, host: nil)
            }
            load[host, default: 0] += max(1, item.work)
            queued[host, default: 0] += 1
            pending[taskID] = PendingTask(
                task: item.task, contract: item.contract, host: host,
                deadline: now + configuration.taskTimeout * queued[host, default: 1])
            return Assignment(taskID: taskID, task: item.task, host: host)
        }
    }

    /// Notes whether the copy of a task just sent referred to masks the host holds.
    mutating func sent(_ taskID: UInt64, refersToMasks: Bool) {
        pending[taskID]?.refersToMasks = refersToMasks
    }

    /// A task that could not be sent: its client is dropped from the round.
    mutating func unsent(_ taskID: UInt64, reason: String) {
        guard let task = pending.removeValue(forKey: taskID) else { return }
        arrivals[task.task.client] = .dropped(reason: "host unreachable: \(reason)")
    }

    /// Takes a result: from the host the task went to, valid, or rejected with a reason.
    mutating func accept(_ decoded: DecodedMessage, body: TaskResult, from peer: PeerID, now: ContinuousClock.Instant)
        -> [Action]
    {
        guard let task = pending[body.taskID] else {
            if body.taskID < nextTaskID {
                // The answer to a task that timed out, was answered, or moved to another host.
                ledger.note(peer, code: "late_result", example: "task \(body.taskID)", now: now)
                return []
            }
            return reject(
                peer, code: .unexpectedMessage, message: "no task \(body.taskID) was sent", now: now, kind: .result)
        }
        guard task.host == peer else {
            return reject(
                peer, code: .unexpectedMessage, message: "task \(body.taskID) was not sent to this host", now: now,
                kind: .result)
        }
        hosts[peer]?.silent = false
        if body.status == .error, body.metrics[MissingMaskError.metric] == 1 {
            // The host lacks a mask the task referred to: it gets the positions. An error about a
            // copy that carried every position is stale (the host restarted and was sent the task
            // again), and the newer copy's answer is awaited.
            return task.refersToMasks ? [.forgetMasks(of: peer), .resend(taskID: body.taskID, to: peer)] : []
        }
        let expected = ResultValidation.Expectation(
            runID: configuration.runID, round: task.task.round, client: task.task.client, kind: task.task.kind,
            contract: task.contract, shardSize: configuration.shardSizes[task.task.client],
            maxMagnitude: configuration.maxMagnitude)
        switch ResultValidation.validate(decoded.message, body: body, expecting: expected) {
        case .success(let result):
            pending[body.taskID] = nil
            arrivals[task.task.client] = .result(result, decoded.size)
            return []
        case .failure(let rejection):
            var actions = reject(
                peer, code: rejection.code,
                message: "result of task \(body.taskID) (client \(task.task.client)) rejected: \(rejection.reason)",
                now: now, kind: .result)
            actions += retry(body.taskID, rejectedBy: peer, rejection: rejection, size: decoded.size, now: now)
            return actions
        }
    }

    /// Gives a task whose result was rejected to another live host serving its client that has
    /// not failed it yet; with none left, the client's outcome is the rejection.
    ///
    /// Results do not depend on the host that computed them, so an honest host's answer replaces
    /// a broken or hostile one's; a result that every host fails the same way (a client whose
    /// training diverges) ends rejected after one try per host.
    private mutating func retry(
        _ taskID: UInt64, rejectedBy peer: PeerID, rejection: Rejection, size: WireSize, now: ContinuousClock.Instant
    ) -> [Action] {
        guard var task = pending.removeValue(forKey: taskID) else { return [] }
        task.rejectedBy.insert(peer)
        let tried = task.rejectedBy
        guard let other = leastLoadedHost(serving: task.task.client, excluding: tried) else {
            arrivals[task.task.client] = .rejected(rejection, size)
            return []
        }
        task.host = other
        task.deadline = now + configuration.taskTimeout * (queueLength(of: other) + 1)
        pending[taskID] = task
        return [.resend(taskID: taskID, to: other)]
    }

    /// Times out the tasks past their deadline; their hosts get no work until they say hello again.
    mutating func expireTasks(now: ContinuousClock.Instant) {
        for (taskID, task) in pending.sorted(by: { $0.key < $1.key }) where task.deadline <= now {
            pending[taskID] = nil
            hosts[task.host]?.silent = true
            arrivals[task.task.client] = .timeout(reason: "no result within the wall-clock timeout")
        }
    }

    /// Whether every task of the round has an outcome.
    var roundSettled: Bool { pending.isEmpty }

    /// Ends the round: tasks still pending time out; returns every sampled client's outcome.
    mutating func closeRound() -> [Int: Arrival] {
        for task in pending.values {
            hosts[task.host]?.silent = true
            arrivals[task.task.client] = .timeout(reason: "no result within the wall-clock timeout")
        }
        pending.removeAll()
        defer { arrivals.removeAll() }
        return arrivals
    }
}
