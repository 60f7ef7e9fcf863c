import COrchardZMQ

/// A CurveZMQ key: 32 bytes written as 40 characters of Z85 (ZeroMQ's base-85 text).
///
/// The text is what key files hold and what libzmq's curve options take; it is checked on the
/// way in, so a `CurveKey` always decodes to exactly 32 bytes.
public struct CurveKey: Sendable, Hashable {
    /// The 40 characters of Z85.
    public let text: String

    /// The length of a key in Z85 characters.
    public static let textLength = 40

    /// Checks `text` as a key; `nil` unless it is 40 characters that decode as Z85.
    public init?(text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.textLength, bytes.allSatisfy(Self.isZ85) else { return nil }
        var decoded = [UInt8](repeating: 0, count: 32)
        // Five characters make four bytes; a group above 2^32 - 1 makes zmq_z85_decode fail.
        guard zmq_z85_decode(&decoded, text) != nil else { return nil }
        self.text = text
    }

    /// The key as 32 bytes, as a ZAP request carries it.
    public var bytes: [UInt8] {
        var decoded = [UInt8](repeating: 0, count: 32)
        _ = zmq_z85_decode(&decoded, text)
        return decoded
    }

    /// Makes the Z85 text of 32 bytes; `nil` for any other count.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: Self.textLength + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        self.init(buffer: text)
    }

    /// Reads the text libzmq wrote into a buffer of 41 characters (40 and a terminating zero).
    init?(buffer: [CChar]) {
        self.init(text: String(decoding: buffer.prefix(Self.textLength).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The characters of ZeroMQ's Z85 alphabet (RFC 32).
    static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    static func isZ85(_ byte: UInt8) -> Bool { alphabet.contains(byte) }
}

/// A CurveZMQ key pair: the public key peers are told, the secret key that never leaves its file.
public struct CurveKeyPair: Sendable, Hashable {
    public let publicKey: CurveKey
    public let secretKey: CurveKey

    /// Makes a fresh key pair from libzmq's random source (`zmq_curve_keypair`).
    ///
    /// - Throws: `WireSecurityError.curveUnavailable` when libzmq was built without CURVE.
    public static func generate() throws(WireSecurityError) -> CurveKeyPair {
        try CurveSupport.check()
        var publicText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        var secretText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        guard zmq_curve_keypair(&publicText, &secretText) == 0,
            let publicKey = CurveKey(buffer: publicText),
            let secretKey = CurveKey(buffer: secretText)
        else { throw WireSecurityError.curveUnavailable(detail: "zmq_curve_keypair failed") }
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The pair of a secret key, its public half derived by libzmq (`zmq_curve_public`).
    public init(secretKey: CurveKey) throws(WireSecurityError) {
        try CurveSupport.check()
        var publicText = [CChar](repeating: 0, count: CurveKey.textLength + 1)
        guard zmq_curve_public(&publicText, secretKey.text) == 0,
            let publicKey = CurveKey(buffer: publicText)
        else { throw WireSecurityError.curveUnavailable(detail: "zmq_curve_public failed") }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    private init(publicKey: CurveKey, secretKey: CurveKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// Whether the libzmq this process runs with can do CurveZMQ.
public enum CurveSupport {
    /// Whether `zmq_has("curve")` says so (libzmq built with libsodium or its own TweetNaCl).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// Throws a clear error when CURVE is missing, naming the libzmq version.
    public static func check() throws(WireSecurityError) {
        guard isAvailable else {
            let version = ZMQContext.libraryVersion
            throw WireSecurityError.curveUnavailable(
                detail: "libzmq \(version.major).\(version.minor).\(version.patch) was built without CURVE "
                    + "(zmq_has(\"curve\") is false); install a libzmq built with libsodium, such as Debian's libzmq5")
        }
    }
}
