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
    func sendPhysically(_ task: ClientTask, taskID: UInt64, to host: [UInt8], frames: inout TaskFrames) throws {
        let held = hostMasks[host] ?? [:]
        let encoded = try encode(task, taskID: taskID, frames: &frames) { name, digest in
            held[name].flatMap { $0.digest == digest ? $0.round : nil }
        }
        try socket.send(encoded, to: host)
        var updated = held
        for entry in frames.sparseEntries(of: task) where updated[entry.name]?.digest != entry.digest {
            updated[entry.name] = (entry.digest, task.round)
        }
        hostMasks[host] = updated
    }

    /// Sends a task again, with frames encoded anew.
    func sendPhysically(_ task: ClientTask, taskID: UInt64, to host: [UInt8]) throws {
        var frames = TaskFrames()
        try sendPhysically(task, taskID: taskID, to: host, frames: &frames)
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
    /// Sends a task again after its host said it lacks a mask the task referred to.
    ///
    /// The host's table is forgotten, so the positions go. Returns whether it was sent.
    func resendWithPositions(_ taskID: UInt64, client: Int, host: [UInt8]) -> Bool {
        hostMasks[host] = nil
        return resend(taskID, client: client, host: host)
    }

    /// Sends a pending task again and records it as `task (sent again)`.
    ///
    /// Positions go wherever the host's table lacks them. Returns whether it was sent.
    @discardableResult
    func resend(_ taskID: UInt64, client: Int, host: [UInt8]) -> Bool {
        guard let (task, counted) = pendingTasks[taskID], (try? sendPhysically(task, taskID: taskID, to: host)) != nil
        else { return false }
        controlMessages.append(Self.messageRecord(counted, client: client, direction: .down, kind: "task (sent again)"))
        return true
    }
}
