import Foundation
import OrchardExport
import Testing

@Suite struct SafeTensorsTests {
    /// A file's bytes with `header` as its JSON header and `data` as its buffer.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        return bytes + Array(header.utf8) + data
    }

    @Test func roundTripKeepsTensorsAndMetadata() throws {
        let weights = SafeTensor(name: "fc.weight", shape: [2, 3], floats: [1, -2, 3.5, 0, .leastNonzeroMagnitude, 6])
        let mask = SafeTensor(name: "fc.weight.mask", dtype: .uint8, shape: [2, 3], bytes: [1, 1, 1, 0, 1, 1])
        let scalar = SafeTensor(name: "scale", shape: [], floats: [0.25])
        let original = SafeTensorsFile(
            tensors: [weights, mask, scalar], metadata: ["round": "3", "method": "fedtiny"])
        let bytes = try original.encoded()
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let read = try SafeTensorsFile(decoding: bytes)
        #expect(read == original)
        #expect(read.tensor(named: "fc.weight")?.floats == [1, -2, 3.5, 0, .leastNonzeroMagnitude, 6])
        #expect(read.tensor(named: "scale")?.count == 1)
    }

    @Test func readsAnExternallyWrittenFile() throws {
        // Written by hand as the reference implementation lays it out: offsets not in name order.
        let header =
            #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"__metadata__":{"format":"pt"}}"#
        let data: [UInt8] = [0, 0, 128, 63, 7, 9]
        let read = try SafeTensorsFile(decoding: Self.file(header: header, data: data))
        #expect(read.tensor(named: "b")?.floats == [1])
        #expect(read.tensor(named: "a")?.bytes == [7, 9])
        #expect(read.metadata == ["format": "pt"])
    }

    @Test(arguments: [
        ([UInt8](repeating: 0, count: 5), "too short"),
        (file(header: "[]"), "not a JSON object"),
        (file(header: "{\"a\":"), "not valid JSON"),
        (
            file(header: #"{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            "unknown dtype"
        ),
        (
            file(
                header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
                data: [UInt8](repeating: 0, count: 8)), "needs 8"
        ),
        (
            file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]),
            "ends at byte 8"
        ),
        (file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "negative"),
        (file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: [0, 0, 0, 0]), "begin <= end"),
        (file(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]), "lacks 'data_offsets'"),
        (
            file(header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            "shape holds 1.5"
        ),
        (
            file(
                header:
                    #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#,
                data: [0, 0, 0, 0]), "overlaps"
        ),
        (
            file(header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#, data: [0, 0, 0, 0]),
            "belong to no tensor"
        ),
        (
            file(header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0, 0, 0]),
            "belong to no tensor"
        ),
        (
            file(
                header: #"{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#,
                data: [UInt8](repeating: 0, count: 8)), "more bytes than the file holds"
        ),
        (file(header: #"{"__metadata__":{"n":1}}"#), "wrong type"),
    ])
    func rejectsMalformedFiles(bytes: [UInt8], expected: String) {
        #expect {
            _ = try SafeTensorsFile(decoding: bytes)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func rejectsAHeaderLongerThanTheFileOrTheLimit() {
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { bytes += $0 }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(decoding: bytes + Array("{}".utf8)) }
        var short = [UInt8]()
        withUnsafeBytes(of: UInt64(64).littleEndian) { short += $0 }
        #expect { try SafeTensorsFile(decoding: short + Array("{}".utf8)) } throws: { "\($0)".contains("claims 64") }
    }

    @Test func refusesToWriteInconsistentTensors() {
        let wrong = SafeTensor(name: "w", dtype: .float32, shape: [3], bytes: [0, 0, 0, 0])
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(tensors: [wrong]).encoded() }
        let twice = SafeTensor(name: "w", shape: [1], floats: [1])
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(tensors: [twice, twice]).encoded() }
    }
}
