import Foundation
import OrchardData
import OrchardFederation
import OrchardTopology
import Testing

/// Loads topologies written in the tests and finds what the loader said about them.
enum Fixture {
    /// The smallest valid topology: generated data, so no file is needed.
    static let minimal = """
        name: tiny
        rounds: 3
        dataset: {kind: synthetic-images, train_samples: 200, test_samples: 50}
        model: logreg
        groups:
          - count: 4
        """

    /// The package root: this file is Tests/OrchardTopologyTests/TestSupport.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The plan for `text`, which must be valid.
    static func plan(
        _ text: String, root: String = "/nonexistent-root", checksDataFiles: Bool = true,
        methods: MethodRegistry = .standard, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunPlan {
        let loader = TopologyLoader(root: root, checksDataFiles: checksDataFiles, methods: methods)
        do {
            return try loader.load(text: text, file: "test.yaml")
        } catch {
            Issue.record("expected a valid topology, got:\n\(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// The diagnostics for `text`, which must be invalid.
    static func diagnostics(
        _ text: String, root: String = "/nonexistent-root", checksDataFiles: Bool = true,
        methods: MethodRegistry = .standard, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [Diagnostic] {
        let loader = TopologyLoader(root: root, checksDataFiles: checksDataFiles, methods: methods)
        do {
            let plan = try loader.load(text: text, file: "test.yaml")
            Issue.record("expected mistakes, but the topology loaded: \(plan.summary)", sourceLocation: sourceLocation)
            return []
        } catch {
            return error.diagnostics
        }
    }

    /// The one diagnostic about `path`, checked to be at `line`:`column` and to mention every piece of `mentions`.
    @discardableResult
    static func expect(
        _ diagnostics: [Diagnostic], path: String, line: Int, column: Int, mentioning mentions: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Diagnostic? {
        let matching = diagnostics.filter { $0.path == path }
        guard matching.count == 1, let diagnostic = matching.first else {
            let listing = diagnostics.map(\.description).joined(separator: "\n")
            Issue.record(
                "expected one diagnostic at \(path), got \(matching.count) among:\n\(listing)",
                sourceLocation: sourceLocation)
            return nil
        }
        #expect(
            (diagnostic.line, diagnostic.column) == (line, column), "wrong position: \(diagnostic)",
            sourceLocation: sourceLocation)
        for mention in mentions {
            #expect(
                diagnostic.message.contains(mention), "\"\(mention)\" not in: \(diagnostic)",
                sourceLocation: sourceLocation)
        }
        return diagnostic
    }

    /// The line and column (from 1) of the first occurrence of `marker` in `text`, found by plain
    /// text search, to check positions independently of the YAML parser.
    ///
    /// A `|` in the marker stands for the position wanted, so that `quorum: |0` finds the value
    /// after `quorum: `; without one, the marker's start is wanted.
    static func position(of written: String, in text: String, occurrence: Int = 1) -> (line: Int, column: Int) {
        let caret = written.firstIndex(of: "|").map { written.distance(from: written.startIndex, to: $0) } ?? 0
        let marker = written.replacingOccurrences(of: "|", with: "")
        var seen = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).enumerated()
        {
            var searchStart = line.startIndex
            while let range = line.range(of: marker, range: searchStart..<line.endIndex) {
                seen += 1
                if seen == occurrence {
                    let start = line.unicodeScalars.distance(from: line.startIndex, to: range.lowerBound)
                    return (index + 1, start + caret + 1)
                }
                searchStart = range.upperBound
            }
        }
        return (0, 0)
    }
}

/// A fresh folder under the system's temporary folder, removed when the test is done with it.
final class ScratchFolder {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("orchard-topology-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Creates empty files with `names` in `folder` (relative to this folder), making the folder.
    func placeholders(_ names: [String], in folder: String) throws {
        let directory = path + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in names {
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data()))
        }
    }

    /// Creates the smallest data files that the topology's checks accept, named `names`, in
    /// `folder`: IDX files of one 28x28 image or one label (gzip-compressed for a `.gz` name),
    /// and CIFAR files of one record.
    func dataStandIns(_ names: [String], in folder: String) throws {
        let directory = path + "/" + folder
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in names {
            let bytes: [UInt8]
            switch (name.contains("images"), name.contains("labels"), name.hasSuffix(".gz")) {
            case (true, _, false): bytes = DataStandIn.images
            case (true, _, true): bytes = DataStandIn.compressedImages
            case (_, true, false): bytes = DataStandIn.labels
            case (_, true, true): bytes = DataStandIn.compressedLabels
            default:
                // CIFAR-100's records have two label bytes, CIFAR-10's one.
                let labelBytes = ["train.bin", "test.bin"].contains(name) ? 2 : 1
                bytes = [UInt8](repeating: 0, count: labelBytes + CIFAR.pixelsPerImage)
            }
            #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes)))
        }
    }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// The bytes of the smallest valid data files.
enum DataStandIn {
    static func word(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xff) } }

    /// An IDX image file of one 28x28 image, all black.
    static let images = word(0x0803) + word(1) + word(28) + word(28) + [UInt8](repeating: 0, count: 784)
    /// An IDX label file of one label, class 0.
    static let labels = word(0x0801) + word(1) + [0]
    /// `images`, gzip-compressed (Python's `gzip.compress(images, mtime=0)`).
    static let compressedImages: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x66, 0x60, 0x60, 0x60,
        0x04, 0x62, 0x19, 0x28, 0x1e, 0x05, 0xa3, 0x60, 0x14, 0x40, 0x01, 0x00, 0xea, 0x41, 0xfc, 0x9b, 0x20, 0x03,
        0x00, 0x00,
    ]
    /// `labels`, gzip-compressed.
    static let compressedLabels: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x60, 0xe0, 0x60, 0x64, 0x60, 0x60, 0x60,
        0x64, 0x00, 0x00, 0x2d, 0xb8, 0xa1, 0x07, 0x09, 0x00, 0x00, 0x00,
    ]
}
