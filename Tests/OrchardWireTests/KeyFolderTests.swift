import Foundation
import OrchardTestSupport
import Testing

@testable import OrchardWire

/// `KeyFolder`: the files `orchard keys generate` writes and what reading them refuses.
@Suite("Key folders")
struct KeyFolderTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func generateWritesPrivateSecretsAndReadablePublicKeys() throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        let allowList = try folder.generate(hostIDs: ["a", "b"], force: false)
        #expect(try mode(folder.path) == 0o700)
        #expect(try mode(folder.hostsPath) == 0o700)
        #expect(try mode(folder.coordinatorSecretPath) == 0o600)
        #expect(try mode(folder.coordinatorPublicPath) == 0o644)
        #expect(try mode(folder.allowListPath) == 0o644)
        for id in ["a", "b"] {
            #expect(try mode(folder.hostSecretPath(id)) == 0o600)
            #expect(try mode(folder.hostPublicPath(id)) == 0o644)
        }
        #expect(allowList.entries.map(\.hostID) == ["a", "b"])
        #expect(try text(folder.allowListPath) == allowList.text)
        // What the coordinator and a host read back fits together.
        guard case .curveServer(let secret, let readList) = try folder.serverSecurity() else {
            Issue.record("not a server setting")
            return
        }
        #expect(readList == allowList)
        let coordinatorPublic = try text(folder.coordinatorPublicPath).trimmingCharacters(in: .newlines)
        #expect(try CurveKeyPair(secretKey: secret).publicKey.text == coordinatorPublic)
        guard case .curveClient(let pair, let serverKey) = try folder.clientSecurity(hostID: "b") else {
            Issue.record("not a client setting")
            return
        }
        #expect(serverKey.text == coordinatorPublic)
        #expect(pair.publicKey.text == (try text(folder.hostPublicPath("b")).trimmingCharacters(in: .newlines)))
        #expect(allowList.hostID(of: pair.publicKey) == "b")
    }

    @Test func generateRefusesToOverwriteUnlessForced() throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        try folder.generate(hostIDs: ["a"], force: false)
        let before = try text(folder.coordinatorSecretPath)
        #expect(
            throws: WireSecurityError.wouldOverwrite(paths: [
                folder.coordinatorSecretPath, folder.coordinatorPublicPath, folder.allowListPath,
                folder.hostSecretPath("a"), folder.hostPublicPath("a"),
            ])
        ) {
            try folder.generate(hostIDs: ["a"], force: false)
        }
        #expect(try text(folder.coordinatorSecretPath) == before)
        // A loosened secret is replaced by a private one.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.hostSecretPath("a"))
        try folder.generate(hostIDs: ["a"], force: true)
        #expect(try text(folder.coordinatorSecretPath) != before)
        #expect(try mode(folder.hostSecretPath("a")) == 0o600)
    }

    @Test(arguments: [["a", "a"], [""], ["a b"], ["a/b"], ["tab\there"], [".."], []])
    func badHostIDsAreRefusedBeforeAnythingIsWritten(_ ids: [String]) throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        #expect(throws: WireSecurityError.self) { try folder.generate(hostIDs: ids, force: false) }
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }

    @Test func aCorruptedKeyFileIsRefusedByName() throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        try folder.generate(hostIDs: ["a"], force: false)
        try "not a key\n".write(toFile: folder.coordinatorPublicPath, atomically: false, encoding: .utf8)
        let error = try #require(throws: WireSecurityError.self) { try folder.clientSecurity(hostID: "a") }
        #expect(error.description.hasPrefix(folder.coordinatorPublicPath + ": not a CurveZMQ public key"), "\(error)")
        let missing = try #require(throws: WireSecurityError.self) { try folder.clientSecurity(hostID: "z") }
        #expect(missing.description.hasPrefix(folder.hostSecretPath("z") + ": cannot be read"), "\(missing)")
    }

    @Test func aSecretOpenToOthersIsRefusedByName() throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        try folder.generate(hostIDs: ["a"], force: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o604], ofItemAtPath: folder.coordinatorSecretPath)
        let error = try #require(throws: WireSecurityError.self) { try folder.serverSecurity() }
        #expect(error.description.contains(folder.coordinatorSecretPath), "\(error)")
        #expect(error.description.contains("chmod 600"), "\(error)")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: folder.hostSecretPath("a"))
        #expect(throws: WireSecurityError.self) { try folder.clientSecurity(hostID: "a") }
    }

    @Test(arguments: [
        ("a KEY\nb\n", 2, "two fields"),
        ("# hosts\n\nx y z\n", 3, "two fields"),
        ("a/b KEY\n", 1, "slash"),
        ("a short\n", 1, "not a CurveZMQ public key"),
        ("a KEY\na OTHER\n", 2, "already listed on line 1"),
        ("a KEY\nb KEY\n", 2, "already listed on line 1"),
    ])
    func aBadAllowListLineIsRefusedWithFileAndLine(_ content: String, _ line: Int, _ reason: String) throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        try folder.generate(hostIDs: ["a"], force: false)
        let key = try CurveKeyPair.generate().publicKey.text
        let other = try CurveKeyPair.generate().publicKey.text
        let text = content.replacingOccurrences(of: "OTHER", with: other).replacingOccurrences(of: "KEY", with: key)
        try text.write(toFile: folder.allowListPath, atomically: false, encoding: .utf8)
        let error = try #require(throws: WireSecurityError.self) { try folder.serverSecurity() }
        #expect(error.description.hasPrefix("\(folder.allowListPath):\(line): "), "\(error)")
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test func anEmptyAllowListIsRefused() throws {
        let temporary = try TemporaryFolder()
        let folder = KeyFolder(path: temporary.file("keys"))
        try folder.generate(hostIDs: ["a"], force: false)
        try "# nobody\n".write(toFile: folder.allowListPath, atomically: false, encoding: .utf8)
        let error = try #require(throws: WireSecurityError.self) { try folder.serverSecurity() }
        #expect(error.description.hasPrefix(folder.allowListPath), "\(error)")
    }
}
