import Foundation
import OrchardData
import OrchardTestSupport
import Testing

extension TemporaryFolder {
    /// Writes `bytes` gzip-compressed (by /usr/bin/gzip) to `name`, which should end in `.gz`.
    @discardableResult
    func writeGzipped(_ name: String, _ bytes: [UInt8]) throws -> String {
        let plainName = String(name.dropLast(3))
        let plain = try write(plainName, bytes)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        // -n leaves the name and time out of the header; -f replaces an older .gz.
        gzip.arguments = ["-n", "-f", plain]
        try gzip.run()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0, "gzip failed on \(plain)")
        return file(name)
    }
}

/// Builds the bytes of IDX files for tests.
enum IDXBytes {
    static func word(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    /// An image file: magic 0x803, count, rows, columns, then the pixels.
    static func images(count: Int, rows: Int, columns: Int, pixels: [UInt8]) -> [UInt8] {
        word(0x0803) + word(UInt32(count)) + word(UInt32(rows)) + word(UInt32(columns)) + pixels
    }

    /// A label file: magic 0x801, count, then the labels.
    static func labels(_ labels: [UInt8]) -> [UInt8] {
        word(0x0801) + word(UInt32(labels.count)) + labels
    }

    /// Pixels that differ from image to image and from pixel to pixel.
    static func pixels(count: Int, rows: Int, columns: Int) -> [UInt8] {
        (0..<(count * rows * columns)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 7) }
    }
}

extension Dataset {
    /// Every sample's normalised features, one after another.
    func allFeatures() -> [Float] {
        var features = [Float](repeating: .nan, count: count * featuresPerSample)
        var labels = [Int32](repeating: -1, count: count)
        features.withUnsafeMutableBufferPointer { featureBuffer in
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                fillBatch(indices: 0..<count, features: featureBuffer.baseAddress!, labels: labelBuffer.baseAddress!)
            }
        }
        return features
    }
}

/// Expects `body` to throw a `DataError` whose description mentions every one of `fragments`.
func expectDataError(
    mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    let error = #expect(throws: DataError.self, sourceLocation: sourceLocation) { try body() }
    guard let description = error?.description else { return }
    for fragment in fragments {
        #expect(
            description.contains(fragment), "\"\(description)\" should mention \"\(fragment)\"",
            sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw a `PartitionError` whose description mentions every one of `fragments`.
func expectPartitionError(
    mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    let error = #expect(throws: PartitionError.self, sourceLocation: sourceLocation) { try body() }
    guard let description = error?.description else { return }
    for fragment in fragments {
        #expect(
            description.contains(fragment), "\"\(description)\" should mention \"\(fragment)\"",
            sourceLocation: sourceLocation)
    }
}

/// Reads files back in tests.
enum FileSystem {
    static func bytes(of path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
