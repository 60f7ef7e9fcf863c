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
        guard labelValues.count == imageFile.count else {
            throw DataError(
                path: labels,
                problem: "image/label count mismatch: this file has \(labelValues.count) labels "
                    + "but \(images) has \(imageFile.count) images")
        }
        return Dataset(
            name: name, sampleShape: [1, imageFile.rows, imageFile.columns], classCount: classes,
            labels: labelValues, bytes: imageFile.pixels, mean: [mean], std: [std])
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
        let bytes = contents.bytes
        let headerSize = 16
        // The magic comes first so that a label file given as images is called that, not "truncated".
        if bytes.count >= 4 { try checkMagic(bigEndianWord(bytes, at: 0), expected: imagesMagic, path: path) }
        guard bytes.count >= headerSize else {
            throw DataError(
                path: path,
                problem: "truncated: the file has \(bytes.count) bytes\(inflatedNote(contents)), "
                    + "fewer than the \(headerSize)-byte header of an IDX image file")
        }
        let count = Int(bigEndianWord(bytes, at: 4))
        let rows = Int(bigEndianWord(bytes, at: 8))
        let columns = Int(bigEndianWord(bytes, at: 12))
        guard rows > 0, columns > 0 else {
            throw DataError(path: path, problem: "header gives images of \(rows)x\(columns) pixels")
        }
        // Each field is below 2^32, so the product cannot overflow a 64-bit Int before the
        // last multiplication; check that one.
        let (pixelCount, overflow) = (count * rows).multipliedReportingOverflow(by: columns)
        guard !overflow else {
            throw DataError(path: path, problem: "header claims \(count) images of \(rows)x\(columns): too large")
        }
        let expected = headerSize + pixelCount
        let promise = "header says \(count) images of \(rows)x\(columns) (\(expected) bytes)"
        try checkSize(bytes.count, expected: expected, promise: promise, contents: contents, path: path)
        return ImageFile(count: count, rows: rows, columns: columns, pixels: Array(bytes[headerSize...]))
    }

    /// Reads and checks an IDX label file whose labels must lie in `0..<classes`.
    static func readLabels(_ path: String, classes: Int) throws(DataError) -> [Int32] {
        let contents = try FileBytes.readInflatingGzip(path)
        let bytes = contents.bytes
        let headerSize = 8
        if bytes.count >= 4 { try checkMagic(bigEndianWord(bytes, at: 0), expected: labelsMagic, path: path) }
        guard bytes.count >= headerSize else {
            throw DataError(
                path: path,
                problem: "truncated: the file has \(bytes.count) bytes\(inflatedNote(contents)), "
                    + "fewer than the \(headerSize)-byte header of an IDX label file")
        }
        let count = Int(bigEndianWord(bytes, at: 4))
        let expected = headerSize + count
        let promise = "header says \(count) labels (\(expected) bytes)"
        try checkSize(bytes.count, expected: expected, promise: promise, contents: contents, path: path)
        var labels = [Int32]()
        labels.reserveCapacity(count)
        for offset in headerSize..<bytes.count {
            let label = bytes[offset]
            guard Int(label) < classes else {
                throw DataError(
                    path: path,
                    problem: "label \(label) of sample \(offset - headerSize) is outside 0...\(classes - 1)")
            }
            labels.append(Int32(label))
        }
        return labels
    }

    private static func bigEndianWord(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { ($0 << 8) | UInt32(bytes[offset + $1]) }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    private static func checkMagic(_ magic: UInt32, expected: UInt32, path: String) throws(DataError) {
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

    private static func checkSize(
        _ actual: Int, expected: Int, promise: String, contents: FileBytes.Contents, path: String
    ) throws(DataError) {
        if actual < expected {
            throw DataError(
                path: path,
                problem: "truncated: \(promise) but the file has \(actual) bytes\(inflatedNote(contents))")
        }
        if actual > expected {
            throw DataError(
                path: path,
                problem: "extra bytes: \(promise) but the file has \(actual) bytes\(inflatedNote(contents)), "
                    + "\(actual - expected) too many")
        }
    }

    private static func inflatedNote(_ contents: FileBytes.Contents) -> String {
        contents.wasCompressed ? " once decompressed" : ""
    }
}
