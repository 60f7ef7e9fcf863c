import OrchardData
import OrchardTestSupport
import Testing

@Suite("IDX reader")
struct IDXTests {
    static let rows = 3
    static let columns = 2
    static let pixels = IDXBytes.pixels(count: 4, rows: rows, columns: columns)
    static let labels: [UInt8] = [3, 0, 9, 3]

    static func imageBytes() -> [UInt8] {
        IDXBytes.images(count: 4, rows: rows, columns: columns, pixels: pixels)
    }

    /// Checks the data set read from the files written by the tests.
    func expectRoundTrip(_ data: Dataset) {
        #expect(data.count == 4)
        #expect(data.sampleShape == [1, Self.rows, Self.columns])
        #expect(data.labels == Self.labels.map(Int32.init))
        #expect(data.classCount == 10)
        let expected = Self.pixels.map { (Float($0) / 255 - 0.5) / 0.25 }
        let actual = data.allFeatures()
        #expect(actual.count == expected.count)
        for (got, wanted) in zip(actual, expected) { #expect(abs(got - wanted) < 1e-5) }
    }

    @Test func roundTripPlain() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", Self.imageBytes())
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        expectRoundTrip(try IDX.read(images: images, labels: labels, name: "tiny", mean: 0.5, std: 0.25))
    }

    @Test func roundTripGzip() throws {
        let folder = try TemporaryFolder()
        let images = try folder.writeGzipped("images.gz", Self.imageBytes())
        let labels = try folder.writeGzipped("labels.gz", IDXBytes.labels(Self.labels))
        let data = try IDX.read(images: images, labels: labels, name: "tiny", mean: 0.5, std: 0.25)
        expectRoundTrip(data)
        #expect(data.name == "tiny")
    }

    @Test func gzipWithTwoMembers() throws {
        // `cat a.gz b.gz` is valid gzip and must read as the two contents concatenated.
        let folder = try TemporaryFolder()
        let whole = Self.imageBytes()
        let first = try FileSystem.bytes(of: folder.writeGzipped("first.gz", Array(whole[..<10])))
        let second = try FileSystem.bytes(of: folder.writeGzipped("second.gz", Array(whole[10...])))
        let images = try folder.write("images.gz", first + second)
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        expectRoundTrip(try IDX.read(images: images, labels: labels, name: "tiny", mean: 0.5, std: 0.25))
    }

    @Test func rejectsMissingFile() throws {
        let folder = try TemporaryFolder()
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        expectDataError(mentioning: [folder.file("absent"), "no such file"]) {
            _ = try IDX.read(images: folder.file("absent"), labels: labels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsWrongMagic() throws {
        let folder = try TemporaryFolder()
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        // A label file given as the image file.
        expectDataError(mentioning: [labels, "wrong magic number 0x00000801", "0x00000803", "label file"]) {
            _ = try IDX.read(images: labels, labels: labels, name: "x", mean: 0, std: 1)
        }
        let images = try folder.write("images", Self.imageBytes())
        expectDataError(mentioning: [images, "wrong magic number 0x00000803", "0x00000801"]) {
            _ = try IDX.read(images: images, labels: images, name: "x", mean: 0, std: 1)
        }
        let garbage = try folder.write("garbage", [UInt8](repeating: 0x41, count: 64))
        expectDataError(mentioning: [garbage, "wrong magic number 0x41414141"]) {
            _ = try IDX.read(images: garbage, labels: labels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsTruncatedFiles() throws {
        let folder = try TemporaryFolder()
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        let short = try folder.write("short", Array(Self.imageBytes().dropLast(5)))
        expectDataError(mentioning: [short, "truncated", "header says 4 images of 3x2 (40 bytes)", "has 35 bytes"]) {
            _ = try IDX.read(images: short, labels: labels, name: "x", mean: 0, std: 1)
        }
        let headerOnly = try folder.write("header", Array(Self.imageBytes()[..<9]))
        expectDataError(mentioning: [headerOnly, "truncated", "9 bytes", "16-byte header"]) {
            _ = try IDX.read(images: headerOnly, labels: labels, name: "x", mean: 0, std: 1)
        }
        let images = try folder.write("images", Self.imageBytes())
        let shortLabels = try folder.writeGzipped("labels.gz", Array(IDXBytes.labels(Self.labels).dropLast()))
        expectDataError(mentioning: [shortLabels, "truncated", "header says 4 labels (12 bytes)", "once decompressed"])
        {
            _ = try IDX.read(images: images, labels: shortLabels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsCutGzipStream() throws {
        let folder = try TemporaryFolder()
        let whole = try FileSystem.bytes(of: folder.writeGzipped("full.gz", Self.imageBytes()))
        let cut = try folder.write("cut.gz", Array(whole.dropLast(12)))
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        expectDataError(mentioning: [cut, "truncated gzip"]) {
            _ = try IDX.read(images: cut, labels: labels, name: "x", mean: 0, std: 1)
        }
        var damaged = whole
        for offset in 10..<min(30, damaged.count - 8) { damaged[offset] = 0xff }
        let corrupt = try folder.write("corrupt.gz", damaged)
        expectDataError(mentioning: [corrupt, "gzip"]) {
            _ = try IDX.read(images: corrupt, labels: labels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsExtraBytes() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", Self.imageBytes() + [1, 2, 3])
        let labels = try folder.write("labels", IDXBytes.labels(Self.labels))
        expectDataError(mentioning: [images, "extra bytes", "(40 bytes)", "has 43 bytes", "3 too many"]) {
            _ = try IDX.read(images: images, labels: labels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsCountMismatch() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", Self.imageBytes())
        let labels = try folder.write("labels", IDXBytes.labels([1, 2, 3]))
        expectDataError(mentioning: [labels, "count mismatch", "3 labels", "4 images", images]) {
            _ = try IDX.read(images: images, labels: labels, name: "x", mean: 0, std: 1)
        }
    }

    @Test func rejectsLabelOutOfRange() throws {
        let folder = try TemporaryFolder()
        let images = try folder.write("images", Self.imageBytes())
        let labels = try folder.write("labels", IDXBytes.labels([1, 2, 10, 3]))
        expectDataError(mentioning: [labels, "label 10 of sample 2", "outside 0...9"]) {
            _ = try IDX.read(images: images, labels: labels, name: "x", mean: 0, std: 1)
        }
    }
}
