/// Loads CIFAR-10 or CIFAR-100 from the binary distribution (the `-binary` archives, unpacked).
///
/// A CIFAR-10 record is one label byte and 3,072 pixel bytes: the 32x32 red plane, then green,
/// then blue, each row-major, which is exactly a `[3, 32, 32]` sample. A CIFAR-100 record has a
/// coarse (superclass) label byte and a fine label byte before the pixels; Orchard uses the fine
/// label, so CIFAR-100 has 100 classes.
public enum CIFAR {
    /// Which of the two sets of 32x32 colour images.
    public enum Variant: String, Sendable, CaseIterable {
        /// Ten classes, `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin`.
        case cifar10
        /// A hundred classes, `train.bin` and `test.bin`.
        case cifar100

        /// The name given to the data sets, such as `cifar10` in `cifar10-train`.
        public var datasetName: String { rawValue }

        /// The number of (fine) classes.
        public var classCount: Int { self == .cifar10 ? 10 : 100 }

        /// The files of the training set, in the order their records are concatenated.
        public var trainFiles: [String] {
            switch self {
            case .cifar10: return (1...5).map { "data_batch_\($0).bin" }
            case .cifar100: return ["train.bin"]
            }
        }

        /// The file of the test set.
        public var testFile: String { self == .cifar10 ? "test_batch.bin" : "test.bin" }

        /// The folder the official archive unpacks into.
        public var standardSubfolder: String {
            self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary"
        }

        /// The per-channel (red, green, blue) means of the training set on the 0...1 scale.
        public var mean: [Float] {
            switch self {
            case .cifar10: return [0.4914, 0.4822, 0.4465]
            case .cifar100: return [0.5071, 0.4865, 0.4409]
            }
        }

        /// The per-channel standard deviations of the training set on the 0...1 scale.
        public var std: [Float] {
            switch self {
            case .cifar10: return [0.2470, 0.2435, 0.2616]
            case .cifar100: return [0.2673, 0.2564, 0.2762]
            }
        }

        /// The set's usual written name, `CIFAR-10` or `CIFAR-100`.
        public var displayName: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }

        /// The label bytes before the pixels of each record.
        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
    }

    /// The bytes of one image: three 32x32 planes.
    public static let pixelsPerImage = 3 * 32 * 32

    /// Loads the training and test sets of `variant` from `directory` or from its standard
    /// subfolder (`cifar-10-batches-bin`, `cifar-100-binary`).
    ///
    /// - Throws: `DataError` naming the folders looked in when files are missing, or naming the
    ///   file (and record) when a file is not a whole number of records or holds a label out of
    ///   range.
    public static func load(directory: String, variant: Variant) throws(DataError) -> DatasetSplit {
        let folder = try locate(directory: directory, variant: variant)
        let train = try readRecords(
            paths: variant.trainFiles.map { FileBytes.join(folder, $0) }, variant: variant,
            name: variant.datasetName + "-train")
        let test = try readRecords(
            paths: [FileBytes.join(folder, variant.testFile)], variant: variant,
            name: variant.datasetName + "-test")
        return DatasetSplit(train: train, test: test)
    }

    /// The folder that holds every file of `variant`: `directory` itself or its standard subfolder.
    static func locate(directory: String, variant: Variant) throws(DataError) -> String {
        let wanted = variant.trainFiles + [variant.testFile]
        let candidates = [directory, FileBytes.join(directory, variant.standardSubfolder)]
        for candidate in candidates where wanted.allSatisfy({ FileBytes.isFile(FileBytes.join(candidate, $0)) }) {
            return candidate
        }
        let advice =
            "download the binary version of \(variant.displayName) "
            + "(www.cs.toronto.edu/~kriz/cifar.html) and unpack it there"
        guard FileBytes.isDirectory(directory) else {
            throw DataError(path: directory, problem: "no such folder; \(advice)")
        }
        // Name what is missing from the candidate that has the most files, the likely intent.
        let best =
            candidates.max { first, second in
                let firstCount = wanted.filter { FileBytes.isFile(FileBytes.join(first, $0)) }.count
                let secondCount = wanted.filter { FileBytes.isFile(FileBytes.join(second, $0)) }.count
                return firstCount < secondCount
            } ?? directory
        let missing = wanted.filter { !FileBytes.isFile(FileBytes.join(best, $0)) }
        throw DataError(
            path: directory,
            problem: "missing \(missing.joined(separator: ", ")) in \(best) "
                + "(looked for \(wanted.joined(separator: ", ")) here and in \(variant.standardSubfolder)/); "
                + advice)
    }

    /// Checks the files of `variant` in `directory` (or its standard subfolder) without reading
    /// their records: each must be a whole, non-zero number of records long.
    /// - Throws: `DataError` naming the folders looked in when files are missing, or the file at fault.
    public static func checkFiles(directory: String, variant: Variant) throws(DataError) {
        let folder = try locate(directory: directory, variant: variant)
        for name in variant.trainFiles + [variant.testFile] {
            let path = FileBytes.join(folder, name)
            try checkSize(try FileBytes.readPrefix(path, count: 0).fileSize, path: path, variant: variant)
        }
    }

    /// Throws unless `size` bytes are a whole, non-zero number of records of `variant`.
    static func checkSize(_ size: Int, path: String, variant: Variant) throws(DataError) {
        let recordSize = variant.labelBytes + pixelsPerImage
        guard size > 0 else { throw DataError(path: path, problem: "empty file: no records") }
        guard size % recordSize == 0 else {
            throw DataError(
                path: path,
                problem: "size \(size) bytes is not a whole number of \(recordSize)-byte records "
                    + "(\(size / recordSize) records and \(size % recordSize) bytes left over); "
                    + "the file is truncated or not a \(variant.displayName) binary file")
        }
    }

    /// Reads and concatenates the records of `paths` into one data set.
    static func readRecords(paths: [String], variant: Variant, name: String) throws(DataError) -> Dataset {
        let recordSize = variant.labelBytes + pixelsPerImage
        var files = [[UInt8]]()
        for path in paths {
            let bytes = try FileBytes.read(path)
            try checkSize(bytes.count, path: path, variant: variant)
            files.append(bytes)
        }
        let total = files.reduce(0) { $0 + $1.count / recordSize }
        var labels = [Int32]()
        labels.reserveCapacity(total)
        var pixels = [UInt8]()
        pixels.reserveCapacity(total * pixelsPerImage)
        for (path, bytes) in zip(paths, files) {
            for record in 0..<(bytes.count / recordSize) {
                let start = record * recordSize
                if variant == .cifar100 {
                    try checkLabel(
                        bytes[start], below: 20, kind: "coarse label", record: record, start: start, path: path)
                }
                let labelOffset = start + variant.labelBytes - 1
                let label = bytes[labelOffset]
                try checkLabel(
                    label, below: variant.classCount, kind: variant == .cifar10 ? "label" : "fine label",
                    record: record, start: start, path: path)
                labels.append(Int32(label))
                pixels.append(contentsOf: bytes[(labelOffset + 1)..<(start + recordSize)])
            }
        }
        return Dataset(
            name: name, sampleShape: [3, 32, 32], classCount: variant.classCount, labels: labels,
            bytes: pixels, mean: variant.mean, std: variant.std)
    }

    private static func checkLabel(
        _ label: UInt8, below limit: Int, kind: String, record: Int, start: Int, path: String
    ) throws(DataError) {
        guard Int(label) >= limit else { return }
        throw DataError(
            path: path,
            problem: "record \(record) (byte offset \(start)): \(kind) \(label) is outside 0...\(limit - 1)")
    }
}
