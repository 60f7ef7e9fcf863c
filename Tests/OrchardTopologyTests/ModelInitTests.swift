import Foundation
import OrchardTopology
import Testing

/// `model.init`: a safetensors file of initial weights, resolved against the root.
@Suite("Model init")
struct ModelInitTests {
    static func topology(init path: String) -> String {
        Fixture.minimal.replacingOccurrences(of: "model: logreg", with: "model: {name: logreg, init: \(path)}")
    }

    @Test("a relative init path resolves against the root")
    func resolves() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("orchard-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The parser checks that the file exists; its contents are checked against the model at run time.
        #expect(FileManager.default.createFile(atPath: folder.path + "/w.safetensors", contents: Data([0])))
        let model = try Fixture.plan(Self.topology(init: "w.safetensors"), root: folder.path).topology.model
        #expect(model.initPath == URL(fileURLWithPath: folder.path + "/w.safetensors").standardizedFileURL.path)
        #expect(try Fixture.plan(Fixture.minimal).topology.model.initPath == nil)
    }

    @Test("a missing init file is a mistake at model.init")
    func missing() {
        let diagnostics = Fixture.diagnostics(
            Self.topology(init: "exports/none.safetensors"), root: "/nonexistent-root")
        Fixture.expect(
            diagnostics, path: "model.init", line: 4, column: 29,
            mentioning: ["exports/none.safetensors (/nonexistent-root/exports/none.safetensors)", "do not exist"])
    }
}
