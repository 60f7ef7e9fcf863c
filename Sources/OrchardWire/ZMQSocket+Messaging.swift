import COrchardZMQ

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Multipart sending and receiving.
extension ZMQSocket {
    /// Sends `frames` as one multipart message: all of them arrive, or none.
    ///
    /// Frames backed by a buffer that `FrameBytes(count:initializingWith:)` filled are handed to
    /// ZeroMQ without copying (`zmq_msg_init_data`); ZeroMQ releases the buffer once it is on the
    /// wire, so one encoded model can go to many peers without a copy per peer. Other frames are
    /// copied into ZeroMQ's buffers.
    ///
    /// - Parameter dontWait: fail with `.timeout` instead of blocking when the peer's queue is
    ///   full. Only the first frame can block: ZeroMQ admits a message whole or not at all.
    public func send(_ frames: [FrameBytes], dontWait: Bool = false) throws(ZMQError) {
        let handle = try openHandle("zmq_msg_send")
        guard !frames.isEmpty else {
            throw ZMQError.failed(code: EINVAL, operation: "send of a message with no frames")
        }
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index + 1 < frames.count ? ZMQ_SNDMORE : 0
            if dontWait && index == 0 { flags |= ZMQ_DONTWAIT }
            try send(frame, handle: handle, flags: flags)
        }
    }

    /// Sends byte arrays as one multipart message.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        try send(frames.map(FrameBytes.init), dontWait: dontWait)
    }

    /// Sends an encoded protocol message, after `routingID` on a ROUTER socket.
    public func send(_ message: EncodedMessage, to routingID: [UInt8]? = nil, dontWait: Bool = false)
        throws(ZMQError)
    {
        if let routingID {
            try send([FrameBytes(routingID)] + message.frames, dontWait: dontWait)
        } else {
            try send(message.frames, dontWait: dontWait)
        }
    }

    private func send(_ frame: FrameBytes, handle: UnsafeMutableRawPointer, flags: Int32)
        throws(ZMQError)
    {
        if case .storage(let storage) = frame.backing, storage.count > 0 {
            try sendWithoutCopy(storage, handle: handle, flags: flags)
            return
        }
        _ = try frame.withUnsafeBytes { bytes throws(ZMQError) in
            try retryingInterrupts("zmq_send") {
                zmq_send(handle, bytes.baseAddress, bytes.count, flags)
            }
        }
    }

    private func sendWithoutCopy(
        _ storage: ByteStorage, handle: UnsafeMutableRawPointer, flags: Int32
    ) throws(ZMQError) {
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        // The retain travels with the message as its hint; ZeroMQ gives it back to
        // releaseSentStorage when its last reference to the bytes is gone.
        let hint = Unmanaged.passRetained(storage).toOpaque()
        guard zmq_msg_init_data(message, storage.base, storage.count, releaseSentStorage, hint) == 0
        else {
            Unmanaged<ByteStorage>.fromOpaque(hint).release()
            throw ZMQError.last("zmq_msg_init_data")
        }
        do {
            try retryingInterrupts("zmq_msg_send") { zmq_msg_send(message, handle, flags) }
        } catch {
            // A message that was not sent still belongs to us; closing it releases the storage.
            zmq_msg_close(message)
            throw error
        }
    }

    /// Receives one multipart message and keeps its frames in ZeroMQ's buffers (no copy).
    ///
    /// On a CURVE coordinator socket (one with a `zapHandler`), a message whose routing id is not
    /// the host id bound to the sender's key is dropped and counted (`idMismatch`): the call then
    /// returns a message with no frames, which `splittingRoutingID()` turns into `nil`.
    ///
    /// - Parameters:
    ///   - dontWait: fail with `.timeout` at once when no message is waiting.
    ///   - frameLimit: frames past this many are read and dropped rather than kept, so a peer
    ///     cannot make the receiver hold an unbounded list; `ZMQMessage.discardedFrameCount`
    ///     tells how many, and the codec rejects such a message.
    public func receiveMessage(dontWait: Bool = false, frameLimit: Int = .max) throws(ZMQError)
        -> ZMQMessage
    {
        let handle = try openHandle("zmq_msg_recv")
        var frames: [ZMQFrame] = []
        var discarded = 0
        var totalBytes = 0
        var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        var more = true
        while more {
            let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
            zmq_msg_init(message)
            let frame = ZMQFrame(taking: message)
            try retryingInterrupts("zmq_msg_recv") { zmq_msg_recv(message, handle, flags) }
            more = zmq_msg_more(message) != 0
            totalBytes += frame.count
            if frames.count < frameLimit {
                frames.append(frame)
            } else {
                discarded += 1
            }
            // The later frames of a message arrive with the first, so they never wait.
            flags = 0
        }
        let message = ZMQMessage(frames: frames, discardedFrameCount: discarded, totalByteCount: totalBytes)
        if let zapHandler, !message.isRoutedUnderItsUserID {
            // The sender's key belongs to another host id than the routing id it came under.
            zapHandler.recordIDMismatch()
            return ZMQMessage(frames: [], discardedFrameCount: 0, totalByteCount: 0)
        }
        return message
    }

    /// Receives one multipart message, copying each frame into an array.
    public func receiveMultipart(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]] {
        try receiveMessage(dontWait: dontWait).byteArrays
    }
}

/// Releases the storage a zero-copy send retained; ZeroMQ calls it, possibly on its I/O thread.
private func releaseSentStorage(_ data: UnsafeMutableRawPointer?, _ hint: UnsafeMutableRawPointer?) {
    guard let hint else { return }
    Unmanaged<ByteStorage>.fromOpaque(hint).release()
}
