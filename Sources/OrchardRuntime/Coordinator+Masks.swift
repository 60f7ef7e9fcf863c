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
        taskSentAt[task.client] = .now
        var updated = held
        for entry in frames.sparseEntries(of: task) where updated[entry.name]?.digest != entry.digest {
            updated[entry.name] = (entry.digest, task.round)
        }
        hostMasks[host] = updated
        return refers
    }

    /// Records what each device of the round holds now: the masks of its task when it answered
    /// (or refused), with those it uploaded; nothing known when it failed or did not answer.
    func updateDeviceMasks(round: Int, arrivals: [Int: CoordinatorStateMachine.Arrival]) {
        for (client, sent) in sentMasks {
            var result: ClientResult?
            if case .result(let valid, _) = arrivals[client] { result = valid }
            deviceMasks.update(client: client, round: round, sent: sent, result: result)
        }
    }
}

extension Coordinator {
    /// Sends a pending task again and records it as `task (sent again)`.
    ///
    /// Positions go wherever the host's table lacks them. A task that cannot be sent drops its client.
    func resend(_ taskID: UInt64, host: [UInt8]) {
        guard let pendingTask = machine.pending[taskID], let size = counted[taskID] else { return }
        var frames = TaskFrames()
        do {
            let refers = try sendPhysically(pendingTask.task, taskID: taskID, to: host, frames: &frames)
            machine.sent(taskID, refersToMasks: refers)
        } catch {
            machine.unsent(taskID, reason: "\(error)")
            return
        }
        controlMessages.append(
            Self.messageRecord(size, client: pendingTask.task.client, direction: .down, kind: "task (sent again)"))
    }
}
