import Foundation

extension SafeTensorsFile {
    /// The largest header a file may declare: the reference implementation's limit.
    public static let maximumHeaderBytes = 100_000_000

    /// Reads the file at `path`, checking it strictly (see `init(decoding:)`).
    public init(contentsOf path: String) throws(SafeTensorsError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError("\(path): cannot be read: \(error.localizedDescription)")
        }
        do {
            try self.init(decoding: [UInt8](data))
        } catch {
            throw SafeTensorsError("\(path): \(error.description)")
        }
    }

    /// Decodes the bytes of a safetensors file, which come from outside and are checked before use.
    ///
    /// The header length must fit the file and `maximumHeaderBytes`; the header must be a JSON object
    /// of tensors with a known dtype, non-negative dimensions and offsets whose span is exactly the
    /// shape's product times the element size, plus string metadata. The tensors must cover the byte
    /// buffer without gaps or overlaps, as the format requires.
    public init(decoding bytes: [UInt8]) throws(SafeTensorsError) {
        guard bytes.count >= 8 else {
            throw SafeTensorsError("\(bytes.count) bytes: too short for the 8-byte header length")
        }
        var declared: UInt64 = 0
        for index in 0..<8 { declared |= UInt64(bytes[index]) << (8 * UInt64(index)) }
        guard declared <= UInt64(Self.maximumHeaderBytes) else {
            throw SafeTensorsError("the header claims \(declared) bytes, over the limit of \(Self.maximumHeaderBytes)")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw SafeTensorsError(
                "the header claims \(headerLength) bytes but the file has \(bytes.count - 8) after its length")
        }
        let header = try Self.parseHeader(bytes[8..<(8 + headerLength)])
        let buffer = bytes[(8 + headerLength)...]
        var tensors: [(range: Range<Int>, tensor: SafeTensor)] = []
        for (name, entry) in header.entries {
            let range = try Self.checkedRange(name, entry, bufferBytes: buffer.count)
            let start = buffer.startIndex + range.lowerBound
            tensors.append(
                (
                    range,
                    SafeTensor(
                        name: name, dtype: entry.dtype, shape: entry.shape,
                        bytes: Array(buffer[start..<(start + range.count)]))
                ))
        }
        tensors.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var covered = 0
        for (range, tensor) in tensors {
            guard range.lowerBound == covered else {
                throw SafeTensorsError(
                    range.lowerBound < covered
                        ? "tensor '\(tensor.name)' (bytes \(range.lowerBound)..<\(range.upperBound)) overlaps another tensor"
                        : "bytes \(covered)..<\(range.lowerBound) of the buffer belong to no tensor")
            }
            covered = range.upperBound
        }
        guard covered == buffer.count else {
            throw SafeTensorsError("bytes \(covered)..<\(buffer.count) of the buffer belong to no tensor")
        }
        self.init(tensors: tensors.map(\.tensor), metadata: header.metadata)
    }

    /// One tensor's entry in the header.
    struct HeaderEntry: Decodable {
        var dtype: SafeTensorsDType
        var shape: [Int]
        var offsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype
            case shape
            case offsets = "data_offsets"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let name = try container.decode(String.self, forKey: .dtype)
            guard let dtype = SafeTensorsDType(rawValue: name) else {
                throw SafeTensorsError(
                    "unknown dtype '\(name)'; known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            self.dtype = dtype
            // Read as numbers and checked here: Foundation reports a fraction where an Int is
            // expected as JSON that is not valid, which would hide which entry is wrong.
            shape = try Self.wholeNumbers(container.decode([Double].self, forKey: .shape), "shape")
            offsets = try Self.wholeNumbers(container.decode([Double].self, forKey: .offsets), "data_offsets")
        }

        private static func wholeNumbers(_ numbers: [Double], _ key: String) throws -> [Int] {
            try numbers.map { number in
                guard let whole = Int(exactly: number) else {
                    throw SafeTensorsError("\(key) holds \(number); it must hold whole numbers")
                }
                return whole
            }
        }
    }

    /// The header's tensors (name, entry) and metadata.
    struct Header: Decodable {
        var entries: [(String, HeaderEntry)] = []
        var metadata: [String: String] = [:]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == SafeTensorsFile.metadataKey {
                    metadata = try container.decode([String: String].self, forKey: key)
                    continue
                }
                do {
                    entries.append((key.stringValue, try container.decode(HeaderEntry.self, forKey: key)))
                } catch let error as SafeTensorsError {
                    throw SafeTensorsError("tensor '\(key.stringValue)': \(error.description)")
                }
            }
        }
    }

    private static func parseHeader(_ bytes: ArraySlice<UInt8>) throws(SafeTensorsError) -> Header {
        guard bytes.first == UInt8(ascii: "{") else { throw SafeTensorsError("the header is not a JSON object") }
        do {
            return try JSONDecoder().decode(Header.self, from: Data(bytes))
        } catch let error as SafeTensorsError {
            throw error
        } catch DecodingError.dataCorrupted(let context) {
            throw SafeTensorsError(
                context.codingPath.isEmpty
                    ? "the header is not valid JSON: \(context.debugDescription)"
                    : "header entry \(Self.path(context)) is not valid: \(context.debugDescription)")
        } catch DecodingError.keyNotFound(let key, let context) {
            throw SafeTensorsError("header entry \(Self.path(context)) lacks '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw SafeTensorsError("header entry \(Self.path(context)) has the wrong type: \(context.debugDescription)")
        } catch {
            throw SafeTensorsError("the header cannot be read: \(error)")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }

    /// The byte range of a tensor in the buffer, after checking it against its shape and the buffer.
    private static func checkedRange(_ name: String, _ entry: HeaderEntry, bufferBytes: Int) throws(SafeTensorsError)
        -> Range<Int>
    {
        guard entry.shape.allSatisfy({ $0 >= 0 }) else {
            throw SafeTensorsError("tensor '\(name)' has a negative dimension in \(entry.shape)")
        }
        var count = entry.dtype.size
        for dimension in entry.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= bufferBytes else {
                throw SafeTensorsError("tensor '\(name)' of shape \(entry.shape) needs more bytes than the file holds")
            }
            count = product
        }
        guard entry.offsets.count == 2, entry.offsets[0] >= 0, entry.offsets[0] <= entry.offsets[1] else {
            throw SafeTensorsError(
                "tensor '\(name)' has data_offsets \(entry.offsets), not [begin, end] with begin <= end")
        }
        guard entry.offsets[1] <= bufferBytes else {
            throw SafeTensorsError(
                "tensor '\(name)' ends at byte \(entry.offsets[1]) but the buffer has \(bufferBytes) bytes")
        }
        guard entry.offsets[1] - entry.offsets[0] == count else {
            throw SafeTensorsError(
                "tensor '\(name)' spans \(entry.offsets[1] - entry.offsets[0]) bytes but \(entry.dtype.rawValue) "
                    + "\(entry.shape) needs \(count)")
        }
        return entry.offsets[0]..<entry.offsets[1]
    }
}
