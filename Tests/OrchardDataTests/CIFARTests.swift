import Foundation
import OrchardData
import OrchardTestSupport
import Testing

@Suite("CIFAR loader")
struct CIFARTests {
    /// Records whose pixel bytes encode the record number, the channel and the position.
    static func records(labels: [[UInt8]], firstRecord: Int = 0) -> [UInt8] {
        var bytes = [UInt8]()
        for (offset, labelBytes) in labels.enumerated() {
            bytes += labelBytes
            bytes += pixels(record: firstRecord + offset)
        }
        return bytes
    }

    static func pixels(record: Int) -> [UInt8] {
        (0..<3072).map { UInt8(truncatingIfNeeded: record &* 31 &+ $0 &* 7 &+ ($0 / 1024) &* 50) }
    }

    /// Writes a CIFAR-10 set with one record per training batch and two test records.
    static func writeCIFAR10(in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for batch in 1...5 {
            try Data(records(labels: [[UInt8(batch)]], firstRecord: batch - 1))
                .write(to: URL(fileURLWithPath: folder + "/data_batch_\(batch).bin"))
        }
        try Data(records(labels: [[7], [0]], firstRecord: 100))
            .write(to: URL(fileURLWithPath: folder + "/test_batch.bin"))
    }

    @Test func cifar10RoundTripInStandardSubfolder() throws {
        let scratch = try TemporaryFolder()
        try Self.writeCIFAR10(in: scratch.file("cifar-10-batches-bin"))
        let split = try CIFAR.load(directory: scratch.path, variant: .cifar10)
        #expect(split.train.count == 5)
        #expect(split.train.labels == [1, 2, 3, 4, 5])
        #expect(split.test.labels == [7, 0])
        #expect(split.train.sampleShape == [3, 32, 32])
        #expect(split.train.classCount == 10)
        #expect(split.train.name == "cifar10-train")
        // Check one pixel of every channel of the fourth training image.
        let features = split.train.allFeatures()
        let raw = Self.pixels(record: 3)
        let mean: [Float] = [0.4914, 0.4822, 0.4465]
        let std: [Float] = [0.2470, 0.2435, 0.2616]
        for channel in 0..<3 {
            let position = channel * 1024 + 517
            let expected = (Float(raw[position]) / 255 - mean[channel]) / std[channel]
            #expect(abs(features[3 * 3072 + position] - expected) < 1e-5)
        }
    }

    @Test func cifar10FilesDirectlyInFolder() throws {
        let scratch = try TemporaryFolder()
        try Self.writeCIFAR10(in: scratch.path)
        let split = try CIFAR.load(directory: scratch.path, variant: .cifar10)
        #expect(split.train.count == 5)
        #expect(split.test.count == 2)
    }

    @Test func cifar100UsesFineLabels() throws {
        let scratch = try TemporaryFolder()
        let folder = scratch.file("cifar-100-binary")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(Self.records(labels: [[19, 99], [0, 42], [3, 7]])).write(
            to: URL(fileURLWithPath: folder + "/train.bin"))
        try Data(Self.records(labels: [[11, 64]], firstRecord: 9)).write(to: URL(fileURLWithPath: folder + "/test.bin"))
        let split = try CIFAR.load(directory: scratch.path, variant: .cifar100)
        #expect(split.train.labels == [99, 42, 7])
        #expect(split.test.labels == [64])
        #expect(split.train.classCount == 100)
        let expected = (Float(Self.pixels(record: 9)[2048]) / 255 - 0.4409) / 0.2762
        #expect(abs(split.test.allFeatures()[2048] - expected) < 1e-5)
    }

    @Test func rejectsPartialRecord() throws {
        let scratch = try TemporaryFolder()
        try Self.writeCIFAR10(in: scratch.path)
        let broken = try scratch.write("data_batch_3.bin", Array(Self.records(labels: [[1], [2]]).dropLast(100)))
        expectDataError(mentioning: [
            broken, "6046 bytes", "not a whole number of 3073-byte records", "2973 bytes left over",
        ]) {
            _ = try CIFAR.load(directory: scratch.path, variant: .cifar10)
        }
    }

    @Test func rejectsLabelOutOfRange() throws {
        let scratch = try TemporaryFolder()
        try Self.writeCIFAR10(in: scratch.path)
        let broken = try scratch.write("test_batch.bin", Self.records(labels: [[1], [2], [10]]))
        expectDataError(mentioning: [broken, "record 2", "byte offset 6146", "label 10", "outside 0...9"]) {
            _ = try CIFAR.load(directory: scratch.path, variant: .cifar10)
        }
        let hundred = try scratch.write("train.bin", Self.records(labels: [[0, 1], [20, 5]]))
        try scratch.write("test.bin", Self.records(labels: [[0, 100]]))
        expectDataError(mentioning: [hundred, "record 1", "coarse label 20", "outside 0...19"]) {
            _ = try CIFAR.load(directory: scratch.path, variant: .cifar100)
        }
        try scratch.write("train.bin", Self.records(labels: [[0, 1]]))
        expectDataError(mentioning: [scratch.file("test.bin"), "record 0", "fine label 100", "outside 0...99"]) {
            _ = try CIFAR.load(directory: scratch.path, variant: .cifar100)
        }
    }

    @Test func missingFilesAreListed() throws {
        let scratch = try TemporaryFolder()
        try Self.writeCIFAR10(in: scratch.file("cifar-10-batches-bin"))
        try FileManager.default.removeItem(atPath: scratch.file("cifar-10-batches-bin/data_batch_4.bin"))
        expectDataError(mentioning: [scratch.path, "missing data_batch_4.bin", "cifar-10-batches-bin"]) {
            _ = try CIFAR.load(directory: scratch.path, variant: .cifar10)
        }
        expectDataError(mentioning: ["/nonexistent/cifar", "no such folder", "CIFAR-100"]) {
            _ = try CIFAR.load(directory: "/nonexistent/cifar", variant: .cifar100)
        }
    }
}
