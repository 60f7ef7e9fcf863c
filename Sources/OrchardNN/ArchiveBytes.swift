/// Little-endian fields appended to bytes: what checkpoints keep beside the model.
public struct ArchiveWriter {
    /// The bytes written so far.
    public var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends a UInt32.
    public mutating func word(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Appends a UInt64.
    public mutating func long(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends a string as its UTF-8 length (UInt32) and bytes.
    public mutating func text(_ value: String) {
        let utf8 = Array(value.utf8)
        word(UInt32(utf8.count))
        bytes += utf8
    }
}

/// Little-endian fields read from bytes, with errors that say where the bytes end.
public struct ArchiveReader {
    /// The bytes read.
    public let bytes: [UInt8]
    /// What the bytes are, for errors: "a checkpoint's masks".
    public let what: String
    /// The next byte to read.
    public var offset = 0

    /// A reader at the start of `bytes`, which errors call `what`.
    public init(bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// The next `count` bytes.
    public mutating func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else {
            throw ArchiveError("\(what): \(bytes.count) bytes end inside a field at byte \(offset)")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// The next byte.
    public mutating func byte() throws -> UInt8 { try take(1)[0] }

    /// Appends a UInt32.
    public mutating func word() throws -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Appends a UInt64.
    public mutating func long() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Appends a string as its UTF-8 length (UInt32) and bytes.
    public mutating func text() throws -> String {
        let start = offset
        guard let text = String(validating: try take(Int(try word())), as: UTF8.self) else {
            throw ArchiveError("\(what): the name at byte \(start) is not UTF-8")
        }
        return text
    }

    /// Checks that every byte was read.
    public func finish() throws {
        guard offset == bytes.count else {
            throw ArchiveError("\(what): \(bytes.count - offset) bytes left over at byte \(offset)")
        }
    }
}
