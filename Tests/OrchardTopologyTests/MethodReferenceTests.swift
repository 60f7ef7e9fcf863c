import Foundation
import OrchardFederation
import OrchardTopology
import Testing

/// `docs/topology.md` and `docs/methods.md` name every registered method and every setting, so
/// that the reference cannot fall behind the registry.
@Suite("method reference")
struct MethodReferenceTests {
    static func document(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/\(name)"), encoding: .utf8)
    }

    @Test func everyMethodAndSettingIsDocumented() throws {
        let topology = try Self.document("topology.md")
        let methods = try Self.document("methods.md")
        for descriptor in MethodRegistry.standard.methods {
            #expect(topology.contains("`\(descriptor.name)`"), "topology.md lacks \(descriptor.name)")
            #expect(methods.contains("`\(descriptor.name)`"), "methods.md lacks \(descriptor.name)")
            for setting in descriptor.settings {
                #expect(methods.contains("`\(setting.key)`"), "methods.md lacks \(descriptor.name).\(setting.key)")
                #expect(topology.contains("`\(setting.key)`"), "topology.md lacks \(descriptor.name).\(setting.key)")
            }
        }
    }
}
