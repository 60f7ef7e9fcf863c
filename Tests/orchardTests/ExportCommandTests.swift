import Foundation
import OrchardExport
import OrchardStore
import OrchardTestSupport
import Testing

/// `orchard export` on a real run, and the run's model imported back with `model.init`.
@Suite("export end to end", .serialized, .tags(.endToEnd), .timeLimit(.minutes(10)))
struct ExportCommandTests {
    static let method = "{name: fixed-mask, density: 20%}"

    /// The run's checkpoint of `round`, read from the store.
    func checkpoint(_ database: String, round: Int) throws -> (Checkpoint, RunRecord) {
        let store = try RunStore.open(at: database, access: .readOnly)
        defer { try? store.close() }
        let run = try #require(try store.latestRun())
        return (try #require(try store.checkpoint(run: run, round: round)), try store.runRecord(run))
    }

    @Test func exportsTheCheckpointAndImportsItBack() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("run.yaml")
        let text = smallTopology(rounds: 3, checkpointEvery: 2, method: Self.method)
        try text.write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("run.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", database]).status == 0)

        let exported = folder.file("r2.safetensors")
        let export = try await OrchardProcess.run([
            "export", database, "--format", "safetensors", "--masks", "--round", "2", "--out", exported,
        ])
        #expect(export.status == 0, "\(export)")
        let file = try SafeTensorsFile(contentsOf: exported)
        let (stored, record) = try checkpoint(database, round: 2)
        let weights = file.tensors.filter { !$0.name.hasSuffix(".mask") }
        #expect(weights.map(\.name) == stored.state.entries.map(\.name))
        #expect(weights.flatMap { $0.floats ?? [] } == stored.state.values)
        #expect(file.tensors.contains { $0.name == "fc1.weight.mask" })
        #expect(file.metadata["round"] == "2" && file.metadata["method"] == "fixed-mask")
        #expect(file.metadata["topology_sha256"] == record.info.topologySHA256)

        let onnx = folder.file("model.onnx")
        #expect(try await OrchardProcess.run(["export", database, "--format", "onnx", "--out", onnx]).status == 0)
        #expect(FileManager.default.fileExists(atPath: onnx))

        // Imported as model.init, the export is the model a run starts from.
        let imported = folder.file("imported.yaml")
        try text.replacingOccurrences(of: "model: mlp", with: "model: {name: mlp, init: \(exported)}")
            .write(toFile: imported, atomically: true, encoding: .utf8)
        let validate = try await OrchardProcess.run(["validate", imported, "--evaluate"])
        #expect(validate.status == 0, "\(validate)")
        #expect(validate.standardOutput.contains("initial accuracy: "))
    }

    @Test func refusesWhatItCannotExport() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let topology = folder.file("run.yaml")
        try smallTopology(rounds: 2, checkpointEvery: 2).write(toFile: topology, atomically: true, encoding: .utf8)
        let database = folder.file("run.sqlite")
        #expect(try await OrchardProcess.run(["run", topology, "--processes", "1", "--db", database]).status == 0)
        let out = folder.file("x")
        let round = try await OrchardProcess.run(["export", database, "--format", "onnx", "--round", "1", "--out", out])
        #expect(round.status != 0 && round.standardError.contains("no checkpoint of round 1; checkpointed rounds: 2"))
        let client = try await OrchardProcess.run([
            "export", database, "--format", "onnx", "--client", "3", "--out", out,
        ])
        #expect(client.status != 0 && client.standardError.contains("fedavg keeps no personalised models"))
        let dense = try await OrchardProcess.run([
            "export", database, "--format", "safetensors", "--dense", "--out", out,
        ])
        #expect(dense.status != 0 && dense.standardError.contains("--dense applies to --format onnx"))
        let missing = try await OrchardProcess.run([
            "export", folder.file("none.sqlite"), "--format", "onnx", "--out", out,
        ])
        #expect(missing.status != 0 && missing.standardError.contains("none.sqlite: no such file"))

        // A file whose names are not the model's is refused, naming them.
        let wrong = folder.file("wrong.safetensors")
        try Data(
            try SafeTensorsFile(tensors: [SafeTensor(name: "features.0.weight", shape: [1], floats: [0])]).encoded()
        ).write(to: URL(fileURLWithPath: wrong))
        let train = try await OrchardProcess.run([
            "train", "--model", "mlp", "--dataset", "synthetic-images", "--limit", "64", "--init", wrong,
        ])
        #expect(train.status != 0 && train.standardError.contains("mlp needs 'fc1.weight'"), "\(train)")
        #expect(train.standardError.contains("the file has 'features.0.weight' that mlp does not"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
