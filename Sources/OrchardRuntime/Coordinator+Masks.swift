import OrchardFederation
import OrchardWire

/// Masks that go only when they changed: what the coordinator counts for a device and what it
/// physically sends to the host process serving it.
///
/// The bytes recorded for a task are those of the message a device would receive: a weight whose
/// mask the device holds (`DeviceMasks`) goes as its values and a reference. The message sent may
/// differ: a reference goes only when the host process holds that mask (`hostMasks`, its copy of
/// the host's `HostMaskCache`); otherwise the positions go, so that a host that never saw a mask, a
/// restarted host or a resumed run still builds exactly the model sent.
extension Coordinator {
    /// The task message with frames chosen by `holds`, encoded.
    func encode(
        _ task: ClientTask, taskID: UInt64, frames: inout TaskFrames, holds: (String, UInt64) -> Int?
    ) throws -> EncodedMessage {
        let message = TaskMessages.message(
            task, taskID: taskID, runID: settings.runID, model: settings.model, timeoutSeconds: settings.taskTimeout,
            frames: try frames.frames(for: task, holds: holds))
        return try codec.encode(message)
    }

    /// Sends the task to `host`, referring to the masks the host holds and sending the others'
    /// positions, then notes that the host holds every mask of the task.
    ///
    /// Returns whether the message referred to a mask, that is, whether the host could fail it
    /// with `missing_mask`.
    @discardableResult
    func sendPhysically(
        _ task: ClientTask, taskID: UInt64, to host: [UInt8], frames: inout TaskFrames
    ) throws -> Bool {
        let held = hostMasks[host] ?? [:]
        var refers = false
        let encoded = try encode(task, taskID: taskID, frames: &frames) { name, digest in
            let since = held[name].flatMap { $0.digest == digest ? $0.round : nil }
            refers = refers || since != nil
            return since
        }
        try socket.send(encoded, to: host)
        var updated = held
        for entry in frames.sparseEntries(of: task) where updated[entry.name]?.digest != entry.digest {
            updated[entry.name] = (entry.digest, task.round)
        }
        hostMasks[host] = updated
        return refers
    }

    /// Records what each device of the round holds now: the masks of its task when it answered
    /// (or refused), with those it uploaded; nothing known when it failed or did not answer.
    func updateDeviceMasks(round: Int) {
        // Every arrived result answers a pending task, and every pending task recorded its masks.
        for (client, sent) in sentMasks {
            deviceMasks.update(client: client, round: round, sent: sent, result: arrived[client]?.result)
        }
    }
}

extension Coordinator {
    /// Answers a host that says it lacks a mask a task referred to; returns whether the task is
    /// still pending (its answer is yet to come).
    ///
    /// The host's table is forgotten and the task sent again with its positions, unless the last
    /// copy sent already carried every position: then the error answers an older copy (the host
    /// restarted and said hello, which sent the positions) and the newer copy's answer is awaited.
    func answerMissingMask(_ taskID: UInt64, host: [UInt8]) -> Bool {
        guard let sent = pending[taskID] else { return false }
        guard sent.refersToMasks else { return true }
        hostMasks[host] = nil
        return resend(taskID, host: host)
    }

    /// Sends a pending task again and records it as `task (sent again)`.
    ///
    /// Positions go wherever the host's table lacks them. Returns whether it was sent.
    @discardableResult
    func resend(_ taskID: UInt64, host: [UInt8]) -> Bool {
        guard var pendingTask = pending[taskID] else { return false }
        var frames = TaskFrames()
        guard let refers = try? sendPhysically(pendingTask.task, taskID: taskID, to: host, frames: &frames) else {
            return false
        }
        pendingTask.refersToMasks = refers
        pending[taskID] = pendingTask
        controlMessages.append(
            Self.messageRecord(
                pendingTask.counted, client: pendingTask.task.client, direction: .down, kind: "task (sent again)"))
        return true
    }
}

/// A task sent in the current round and not answered yet.
struct PendingTask {
    var task: ClientTask
    /// The size counted for the device: what it would receive, given the masks it holds.
    var counted: WireSize
    /// When the coordinator stops waiting: the task timeout times the task's place in its host's queue.
    var deadline: ContinuousClock.Instant
    /// The host process it was sent to.
    var host: [UInt8]
    /// Whether the last copy sent referred to a mask the host was thought to hold.
    var refersToMasks: Bool
}
