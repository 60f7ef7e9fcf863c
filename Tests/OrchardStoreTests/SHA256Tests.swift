import OrchardStore
import Testing

/// SHA-256 against the FIPS 180-4 examples and vectors from an independent implementation.
@Suite("SHA-256")
struct SHA256Tests {
    /// A message and its digest.
    struct Vector: Sendable, CustomTestStringConvertible {
        let label: String
        let message: [UInt8]
        let digest: String

        var testDescription: String { label }

        init(_ label: String, _ message: [UInt8], _ digest: String) {
            self.label = label
            self.message = message
            self.digest = digest
        }
    }

    static let standard = [
        Vector("empty", [], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector("abc", Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(
            "448 bits", Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(
            "896 bits",
            Array(
                ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
                    + "lmnopqrsmnopqrstnopqrstu").utf8),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        Vector(
            "one million a", [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    /// Lengths around the padding's edges (55 bytes is the most that fits one padded block).
    static let paddingVectors = [
        (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        (1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ].map { Vector("\($0.0) times a", [UInt8](repeating: UInt8(ascii: "a"), count: $0.0), $0.1) }

    @Test("the standard vectors", arguments: standard)
    func standardVectors(_ vector: Vector) {
        #expect(SHA256.hash(vector.message).hex == vector.digest)
    }

    @Test("messages around the padding's block boundaries", arguments: paddingVectors)
    func paddingEdges(_ vector: Vector) {
        #expect(SHA256.hash(vector.message).hex == vector.digest)
    }

    @Test("feeding a message in uneven pieces gives the digest of the whole")
    func incremental() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256()
        var offset = 0
        var piece = 1
        while offset < message.count {
            let end = min(offset + piece, message.count)
            hasher.update(message[offset..<end])
            offset = end
            piece = piece * 7 % 193 + 1
        }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("floats are hashed as their little-endian binary32 bytes")
    func floats() {
        let bytes: [UInt8] = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]
        let expected = "ee4ac73c2bd27756ab82780f27c73a7bc4d3f0bb6acb37e008bc27eccd7e588b"
        #expect(SHA256.hash(bytes).hex == expected)
        #expect(SHA256.hash(floats: [1.0, -2.0]).hex == expected)
        var hasher = SHA256()
        hasher.update(floats: [1.0])
        hasher.update(floats: [-2.0])
        #expect(hasher.finalize().hex == expected)
    }

    @Test("the digest has 32 bytes and prints as 64 lowercase hex digits")
    func digestForm() {
        let digest = SHA256.hash("abc".utf8)
        #expect(digest.bytes.count == 32)
        #expect(digest.bytes.first == 0xba && digest.bytes.last == 0xad)
        #expect(digest.description == digest.hex)
        #expect(digest.hex.count == 64 && digest.hex.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }
}
