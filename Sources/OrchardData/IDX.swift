/// Reads the IDX files of MNIST and Fashion-MNIST, plain or gzip-compressed.
///
/// An IDX image file is a big-endian header (magic `0x00000803`, image count, rows, columns)
/// followed by one unsigned byte per pixel; a label file is magic `0x00000801`, the label count
/// and one byte per label. The reader insists that each file holds exactly what its header
/// promises, because a short or padded file usually means a failed download, and training on it
/// would quietly give wrong results.
public enum IDX {
    /// The magic number of an IDX file of unsigned bytes in three dimensions (images).
    static let imagesMagic: UInt32 = 0x0000_0803
    /// The magic number of an IDX file of unsigned bytes in one dimension (labels).
    static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads a pair of IDX image and label files into a data set of `[1, rows, columns]` samples.
    ///
    /// - Parameters:
    ///   - images: The path of the image file (`...-idx3-ubyte`, optionally gzip-compressed).
    ///   - labels: The path of the label file (`...-idx1-ubyte`, optionally gzip-compressed).
    ///   - name: The data set's name.
    ///   - mean: The pixel mean, on the 0...1 scale, that normalisation subtracts.
    ///   - std: The pixel standard deviation, on the 0...1 scale, that normalisation divides by.
    ///   - classes: How many classes there are; every label must lie in `0..<classes`.
    /// - Throws: `DataError` naming the file when it is missing, has the wrong magic number, is
    ///   truncated or has extra bytes, when the two files disagree on the number of samples, or
    ///   when a label is out of range.
    public static func read(
        images: String, labels: String, name: String, mean: Float, std: Float, classes: Int = 10
    ) throws(DataError) -> Dataset {
        let imageFile = try readImages(images)
        let labelValues = try readLabels(labels, classes: classes)
        try checkCounts(images: images, imageFile.count, labels: labels, labelValues.count)
        return Dataset(
            name: name, sampleShape: [1, imageFile.rows, imageFile.columns], classCount: classes,
            labels: labelValues, bytes: imageFile.pixels, mean: [mean], std: [std])
    }

    /// Throws unless the image file and the label file hold as many samples.
    static func checkCounts(images: String, _ imageCount: Int, labels: String, _ labelCount: Int) throws(DataError) {
        guard labelCount == imageCount else {
            throw DataError(
                path: labels,
                problem: "image/label count mismatch: this file has \(labelCount) labels "
                    + "but \(images) has \(imageCount) images")
        }
    }

    /// The pixels of an IDX image file and their layout.
    struct ImageFile {
        var count: Int
        var rows: Int
        var columns: Int
        var pixels: [UInt8]
    }

    /// Reads and checks an IDX image file.
    static func readImages(_ path: String) throws(DataError) -> ImageFile {
        let contents = try FileBytes.readInflatingGzip(path)
        let header = try Header(contents.bytes, size: contents.bytes.count, kind: .images, path: path, contents)
        return ImageFile(
            count: header.count, rows: header.rows, columns: header.columns,
            pixels: Array(contents.bytes[Kind.images.headerSize...]))
    }

    /// Reads and checks an IDX label file whose labels must lie in `0..<classes`.
    static func readLabels(_ path: String, classes: Int) throws(DataError) -> [Int32] {
        let contents = try FileBytes.readInflatingGzip(path)
        let bytes = contents.bytes
        let header = try Header(bytes, size: bytes.count, kind: .labels, path: path, contents)
        var labels = [Int32]()
        labels.reserveCapacity(header.count)
        for offset in Kind.labels.headerSize..<bytes.count {
            let label = bytes[offset]
            guard Int(label) < classes else {
                throw DataError(
                    path: path,
                    problem: "label \(label) of sample \(offset - Kind.labels.headerSize) is outside 0...\(classes - 1)"
                )
            }
            labels.append(Int32(label))
        }
        return labels
    }

    /// The two kinds of IDX file the readers accept.
    enum Kind {
        case images, labels

        var magic: UInt32 { self == .images ? IDX.imagesMagic : IDX.labelsMagic }
        var headerSize: Int { self == .images ? 16 : 8 }
        var name: String { self == .images ? "an IDX image file" : "an IDX label file" }
    }

    /// What an IDX file's header promises, checked against the file's size.
    struct Header {
        var count: Int
        var rows = 1
        var columns = 1

        /// Reads the header at the start of `bytes` of a file whose contents are `size` bytes long.
        /// - Throws: `DataError` on a wrong magic number, a header cut short, impossible dimensions,
        ///   or a size other than the header promises.
        init(
            _ bytes: some RandomAccessCollection<UInt8>, size: Int, kind: Kind, path: String,
            _ contents: FileBytes.Contents?
        ) throws(DataError) {
            let words = Array(bytes.prefix(kind.headerSize))
            let note = contents.map(IDX.inflatedNote) ?? ""
            // The magic comes first so that a label file given as images is called that, not "truncated".
            if words.count >= 4 {
                try IDX.checkMagic(IDX.bigEndianWord(words, at: 0), expected: kind.magic, path: path)
            }
            guard words.count == kind.headerSize else {
                throw DataError(
                    path: path,
                    problem: "truncated: the file has \(size) bytes\(note), "
                        + "fewer than the \(kind.headerSize)-byte header of \(kind.name)")
            }
            count = Int(IDX.bigEndianWord(words, at: 4))
            var promise = "header says \(count) labels"
            var expected = kind.headerSize + count
            if kind == .images {
                rows = Int(IDX.bigEndianWord(words, at: 8))
                columns = Int(IDX.bigEndianWord(words, at: 12))
                guard rows > 0, columns > 0 else {
                    throw DataError(path: path, problem: "header gives images of \(rows)x\(columns) pixels")
                }
                // Each field is below 2^32, so the product cannot overflow a 64-bit Int before the
                // last multiplication; check that one.
                let (pixelCount, overflow) = (count * rows).multipliedReportingOverflow(by: columns)
                guard !overflow else {
                    throw DataError(
                        path: path, problem: "header claims \(count) images of \(rows)x\(columns): too large")
                }
                promise = "header says \(count) images of \(rows)x\(columns)"
                expected = kind.headerSize + pixelCount
            }
            try IDX.checkSize(
                size, expected: expected, promise: promise + " (\(expected) bytes)", note: note, path: path)
        }
    }

    /// Checks the header of the IDX file at `path` against its size, without reading its samples.
    ///
    /// The magic number, the dimensions and the length the header promises are checked; a gzip
    /// file is inflated (in memory) to measure it.
    /// - Returns: The number of samples the file holds.
    /// - Throws: `DataError` naming the file and what is wrong.
    static func checkHeader(_ path: String, kind: Kind) throws(DataError) -> Int {
        let prefix = try FileBytes.readPrefix(path, count: kind.headerSize)
        if prefix.isCompressed {
            let contents = try FileBytes.readInflatingGzip(path)
            return try Header(contents.bytes, size: contents.bytes.count, kind: kind, path: path, contents).count
        }
        return try Header(prefix.bytes, size: prefix.fileSize, kind: kind, path: path, nil).count
    }

    fileprivate static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { ($0 << 8) | UInt32(bytes[offset + $1]) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    fileprivate static func checkMagic(_ magic: UInt32, expected: UInt32, path: String) throws(DataError) {
        guard magic != expected else { return }
        let kind = expected == imagesMagic ? "an IDX image file" : "an IDX label file"
        var problem = "wrong magic number \(hex(magic)): expected \(hex(expected)) for \(kind)"
        if magic == imagesMagic {
            problem += "; this looks like an image file given where labels were expected"
        } else if magic == labelsMagic {
            problem += "; this looks like a label file given where images were expected"
        }
        throw DataError(path: path, problem: problem)
    }

    fileprivate static func checkSize(
        _ actual: Int, expected: Int, promise: String, note: String, path: String
    ) throws(DataError) {
        if actual < expected {
            throw DataError(path: path, problem: "truncated: \(promise) but the file has \(actual) bytes\(note)")
        }
        if actual > expected {
            throw DataError(
                path: path,
                problem: "extra bytes: \(promise) but the file has \(actual) bytes\(note), "
                    + "\(actual - expected) too many")
        }
    }

    fileprivate static func inflatedNote(_ contents: FileBytes.Contents) -> String {
        contents.wasCompressed ? " once decompressed" : ""
    }
}
