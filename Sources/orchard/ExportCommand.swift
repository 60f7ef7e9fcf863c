import ArgumentParser
import Foundation
import OrchardExport
import OrchardNN
import OrchardRuntime

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's model as ONNX or safetensors, for other frameworks or as a run's initial weights.",
        discussion: """
            Reads the latest run of the run file and rebuilds its global model at a checkpointed round \
            (the latest by default), masks included. docs/export.md describes both formats.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx
        case safetensors
    }

    @Argument(help: "The run file (SQLite) written by orchard run.") var file: String
    @Option(help: "onnx or safetensors.") var format: Format
    @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var out: String
    @Option(parsing: .unconditional, help: "The checkpointed round to export (default: the latest).") var round: Int?
    @Option(parsing: .unconditional, help: "A client's personalised model, for a method that keeps one.")
    var client: Int?
    @Flag(help: "ONNX: write pruned weights dense, zeros included, instead of as sparse initializers.")
    var dense = false
    @Flag(help: "safetensors: add each pruned weight's mask as <name>.mask (uint8).") var masks = false
    @Option(help: "Folder that the run's relative data paths resolve against.") var root = "."
    @Option(help: .hidden) var reference: String?

    func validate() throws {
        if let round { try OptionCheck.notNegative("--round", round) }
        if dense && format != .onnx { throw ValidationError("--dense applies to --format onnx") }
        if masks && format != .safetensors { throw ValidationError("--masks applies to --format safetensors") }
    }

    func run() throws {
        let model = try CheckpointModel.load(database: file, round: round, root: root)
        if let client {
            throw ValidationError(
                "--client \(client): method \(model.record.info.method) keeps no personalised models; every client "
                    + "trains the global model, which orchard export writes without --client")
        }
        let metadata = Self.metadata(model)
        let bytes: [UInt8]
        switch format {
        case .safetensors:
            bytes = try SafeTensorsFile(
                tensors: StateDictionary.tensors(of: model.network, masks: masks), metadata: metadata
            ).encoded()
        case .onnx:
            bytes = try ONNXModel.encode(
                model.network,
                normalisation: model.test.channelStatistics.map { ONNXModel.Normalisation(mean: $0.mean, std: $0.std) },
                sparse: !dense, metadata: metadata, producerVersion: OrchardVersion.current)
        }
        try Self.write(bytes, to: out)
        if let reference {
            try Self.write(try ReferenceOutputs.file(model).encoded(), to: reference)
        }
        print(
            "wrote \(out): \(model.network.name) after round \(model.round), \(format.rawValue), \(bytes.count) bytes")
    }

    /// What every export records: where the model comes from and how good it was.
    static func metadata(_ model: CheckpointModel) -> [String: String] {
        var metadata = [
            "topology_sha256": model.record.info.topologySHA256, "method": model.record.info.method,
            "model": model.network.name, "dataset": model.record.info.dataset, "round": String(model.round),
            "orchard_version": OrchardVersion.current,
            "density": String(model.density ?? networkDensity(model.network)),
        ]
        if let accuracy = model.accuracy { metadata["accuracy"] = String(accuracy) }
        return metadata
    }

    /// The kept fraction of the prunable weights.
    static func networkDensity(_ network: Network) -> Double {
        let layers = network.prunableLayers()
        let total = layers.reduce(0) { $0 + $1.layer.weight.denseCount }
        let kept = layers.reduce(0) { $0 + ($1.layer.weight.pattern?.count ?? $1.layer.weight.denseCount) }
        return total == 0 ? 1 : Double(kept) / Double(total)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ValidationError("\(path): cannot be written: \(error.localizedDescription)")
        }
    }
}
