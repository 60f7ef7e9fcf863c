import Foundation
import OrchardNN

/// The masks of a pruned global model as bytes, for the method state a checkpoint keeps.
///
/// A resumed run restores the masks before the checkpoint's values, so that values at positions a
/// method grew after the start are not cut by the initial mask. Layout, little-endian: per pruned
/// weight, the name's UTF-8 length (UInt32) and bytes, the kept count (UInt32), then the kept flat
/// positions (Int32 each), in the network's parameter order.
public enum MaskArchive {
    /// The bytes of `masks`, ordered as `network` lists its parameters.
    public static func encode(_ masks: [String: [Int32]], order network: Network) -> [UInt8] {
        var bytes: [UInt8] = []
        for named in network.parameters {
            guard let kept = masks[named.name] else { continue }
            let name = Array(named.name.utf8)
            append(UInt32(name.count), to: &bytes)
            bytes += name
            append(UInt32(kept.count), to: &bytes)
            for position in kept { append(UInt32(bitPattern: position), to: &bytes) }
        }
        return bytes
    }

    /// The masks in `bytes`.
    /// - Throws: `FederationError` when the bytes end early or hold a name that is not UTF-8.
    public static func decode(_ bytes: [UInt8]) throws -> [String: [Int32]] {
        var masks: [String: [Int32]] = [:]
        var offset = 0
        func word() throws -> UInt32 {
            guard offset + 4 <= bytes.count else {
                throw FederationError(
                    "a checkpoint's masks end after \(bytes.count) bytes, inside a field at \(offset)")
            }
            defer { offset += 4 }
            return (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        while offset < bytes.count {
            let length = Int(try word())
            guard offset + length <= bytes.count,
                let name = String(bytes: bytes[offset..<offset + length], encoding: .utf8)
            else { throw FederationError("a checkpoint's masks hold a damaged name at byte \(offset)") }
            offset += length
            let count = Int(try word())
            guard count <= (bytes.count - offset) / 4 else {
                throw FederationError("a checkpoint's mask of '\(name)' claims \(count) positions past the end")
            }
            masks[name] = try (0..<count).map { _ in Int32(bitPattern: try word()) }
        }
        return masks
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
