#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// The immutable bytes of one frame, shared without copying.
///
/// A frame's bytes live in one of three places: a Swift array (envelopes, small test frames), a
/// buffer that Orchard filled once and never changes (tensor payloads), or a message that ZeroMQ
/// received (`ZMQFrame`). Copies of a `FrameBytes` share that memory. Sending a buffer-backed
/// frame hands the buffer to ZeroMQ without copying; decoding a received frame reads it in place.
public struct FrameBytes: Sendable {
    enum Backing: Sendable {
        case array([UInt8])
        case storage(ByteStorage)
        case received(ZMQFrame)
    }

    let backing: Backing

    /// Wraps an array; the frame shares the array's storage.
    public init(_ bytes: [UInt8]) {
        backing = .array(bytes)
    }

    /// Wraps a received frame; the bytes stay in ZeroMQ's buffer for as long as they are used.
    public init(_ frame: ZMQFrame) {
        backing = .received(frame)
    }

    /// Allocates `count` bytes and lets `initializer` write all of them, once.
    ///
    /// The memory is never written again, which is what allows `ZMQSocket.send` to give it to
    /// ZeroMQ's I/O thread without copying.
    public init<E: Error>(
        count: Int, initializingWith initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        backing = .storage(try ByteStorage(count: count, initializingWith: initializer))
    }

    /// The number of bytes.
    public var count: Int {
        switch backing {
        case .array(let array): array.count
        case .storage(let storage): storage.count
        case .received(let frame): frame.count
        }
    }

    /// Calls `body` with the bytes, which are valid only during the call.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R)
        throws(E) -> R
    {
        switch backing {
        case .array(let array):
            // Array's own withUnsafeBytes rethrows untyped errors; Result carries the typed one out.
            return try array.withUnsafeBytes { buffer in
                Result { () throws(E) -> R in try body(buffer) }
            }.get()
        case .storage(let storage):
            return try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
        case .received(let frame):
            return try frame.withUnsafeBytes(body)
        }
    }

    /// The bytes, copied into an array.
    public var bytes: [UInt8] {
        if case .array(let array) = backing { return array }
        return withUnsafeBytes { Array($0) }
    }
}

extension FrameBytes: Equatable {
    /// Frames are equal when their bytes are, wherever the bytes live.
    public static func == (lhs: FrameBytes, rhs: FrameBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else {
                    return true  // both empty
                }
                return memcmp(leftBase, rightBase, left.count) == 0
            }
        }
    }
}

extension FrameBytes: CustomStringConvertible {
    public var description: String { "FrameBytes(\(count) bytes)" }
}

/// Heap bytes written once at creation and read-only after, so any thread may read them.
final class ByteStorage: @unchecked Sendable {
    /// The first byte; 64-byte aligned like tensor storage, so payloads can be read with SIMD loads.
    let base: UnsafeMutableRawPointer
    let count: Int

    init<E: Error>(
        count: Int, initializingWith initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        precondition(count >= 0, "negative byte count \(count)")
        // Filled before the object exists, so a throwing initializer leaves no object whose
        // deinit would free the memory a second time.
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: memory, count: count))
        } catch {
            memory.deallocate()
            throw error
        }
        base = memory
        self.count = count
    }

    deinit { base.deallocate() }
}
