import Foundation

/// The element types a safetensors file can declare, by the names its header uses.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .uint8, .int8: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }
}

/// One named tensor of a safetensors file: its element type, shape and little-endian bytes.
public struct SafeTensor: Sendable, Equatable {
    public var name: String
    public var dtype: SafeTensorsDType
    public var shape: [Int]
    /// The elements' bytes, little-endian, row-major.
    public var bytes: [UInt8]

    /// A tensor of any element type; `bytes` must hold `shape`'s product times the element size.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor of `values` laid out as `shape`.
    public init(name: String, shape: [Int], floats values: [Float]) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        self.init(name: name, dtype: .float32, shape: shape, bytes: bytes)
    }

    /// The number of elements: the product of the shape (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// The elements as Float32, or nil unless the tensor is F32.
    public var floats: [Float]? {
        guard dtype == .float32 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { start in
            var bits: UInt32 = 0
            for byte in 0..<4 { bits |= UInt32(bytes[start + byte]) << (8 * byte) }
            return Float(bitPattern: bits)
        }
    }
}

/// The contents of a safetensors file: named tensors and the header's string metadata.
///
/// The format (https://github.com/huggingface/safetensors): an unsigned 64-bit little-endian header
/// length N, N bytes of a UTF-8 JSON object mapping each tensor's name to its `dtype`, `shape` and
/// `data_offsets` (begin and end in the byte buffer that follows) plus an optional
/// `__metadata__` object of strings, then the byte buffer. Orchard writes the tensors in the order
/// given, back to back, and pads the header with spaces to a multiple of 8 bytes.
public struct SafeTensorsFile: Sendable, Equatable {
    public var tensors: [SafeTensor]
    public var metadata: [String: String]

    /// The key of the header's metadata object.
    static let metadataKey = "__metadata__"

    /// A file of `tensors` (in this order) and `metadata`.
    public init(tensors: [SafeTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, if there is one.
    public func tensor(named name: String) -> SafeTensor? { tensors.first { $0.name == name } }

    /// The file's bytes.
    public func encoded() throws(SafeTensorsError) -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        var names = Set<String>()
        for tensor in tensors {
            guard names.insert(tensor.name).inserted, tensor.name != Self.metadataKey else {
                throw SafeTensorsError("tensor name '\(tensor.name)' is used twice or reserved")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.bytes.count == tensor.count * tensor.dtype.size else {
                throw SafeTensorsError(
                    "tensor '\(tensor.name)': \(tensor.bytes.count) bytes do not hold shape \(tensor.shape) "
                        + "of \(tensor.dtype.rawValue)")
            }
            header[tensor.name] = [
                "dtype": tensor.dtype.rawValue, "shape": tensor.shape,
                "data_offsets": [offset, offset + tensor.bytes.count],
            ]
            offset += tensor.bytes.count
        }
        if !metadata.isEmpty { header[Self.metadataKey] = metadata }
        var json: [UInt8]
        do {
            json = Array(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        } catch {
            throw SafeTensorsError("the header cannot be written as JSON: \(error)")
        }
        json += Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        bytes += json
        for tensor in tensors { bytes += tensor.bytes }
        return bytes
    }
}

/// A safetensors file that cannot be written, or read back as one.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
