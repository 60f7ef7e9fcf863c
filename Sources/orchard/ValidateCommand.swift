import ArgumentParser
import Foundation
import OrchardNN
import OrchardRuntime
import OrchardTopology

/// `orchard validate T.yaml`: checks a topology and explains every mistake with line and column.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a topology file and explain every mistake with its line and column.",
        discussion: """
            Prints each mistake on stderr as FILE:LINE:COLUMN: KEY.PATH: MESSAGE and exits with status 1 if \
            there is any; otherwise prints a summary of the run. Relative data paths in the topology \
            resolve against --root. docs/topology.md describes every key.
            """)

    @Argument(help: "The topology file (YAML).") var topology: String
    @OptionGroup var overrides: TopologyOverrides
    @Option(help: "Folder that relative data paths resolve against: the repository root (default: the current folder).")
    var root: String?
    @Flag(help: "Print one JSON object on stdout: the summary, or the list of mistakes.") var json = false
    @Flag(
        help: ArgumentHelp(
            "Also evaluate the model a run would start from (the seed's weights, or model.init's) on the test set.",
            discussion: "Prints `initial accuracy: A (C/N)`, after the summary; not with --json."))
    var evaluate = false

    func run() throws {
        let loader = TopologyLoader(root: root ?? FileManager.default.currentDirectoryPath)
        let plan: RunPlan
        do {
            plan = try loader.load(file: topology, overrides: try overrides.parsed())
        } catch {
            let count = error.count
            let tally = "orchard validate: \(count) mistake\(count == 1 ? "" : "s") in \(topology)"
            FileHandle.standardError.write(Data((error.lines + [tally]).map { $0 + "\n" }.joined().utf8))
            if json { print(try JSONOutput.encode(InvalidTopologyReport(error))) }
            throw ExitCode(1)
        }
        if json {
            print(try JSONOutput.encode(ValidTopologyReport(plan)))
        } else {
            print(plan.summary)
            for note in plan.notes { print("note: " + note) }
            if evaluate { try Self.evaluateInitialModel(plan) }
        }
    }

    /// Prints the test accuracy of the network every process of a run of `plan` builds first.
    static func evaluateInitialModel(_ plan: RunPlan) throws {
        let configuration = try RunConfiguration(plan)
        let test = try RunData.load(plan).test
        let summary = Trainer(network: try configuration.setup.makeNetwork(), learningRate: 1).evaluate(on: test)
        print("initial accuracy: \(summary.accuracy) (\(summary.correct)/\(summary.samples))")
    }
}

/// The JSON object `orchard validate --json` prints for a topology without mistakes.
struct ValidTopologyReport: Encodable {
    struct Group: Encodable {
        let name: String
        let count: Int
        let first_client: Int
        let memory_bytes: Int?
        let up_bits_per_second: Double?
        let down_bits_per_second: Double?
        let latency_seconds: Double?
        let flops_per_second: Double?
        let availability: Double
    }

    let valid = true
    let name: String
    let rounds: Int
    let clients: Int
    let clients_per_round: Int
    let groups: [Group]
    let dataset: String
    let data_directory: String?
    let partition: String
    let model: String
    let trainable_parameters: Int
    let state_values: Int
    let method: String
    let aggregation: String
    let seed: UInt64
    let summary: String
    let notes: [String]

    init(_ plan: RunPlan) {
        let topology = plan.topology
        var first = 0
        groups = topology.groups.map { group in
            defer { first += group.count }
            return Group(
                name: group.name, count: group.count, first_client: first, memory_bytes: group.memory,
                up_bits_per_second: group.link?.up, down_bits_per_second: group.link?.down,
                latency_seconds: group.link?.latency, flops_per_second: group.compute,
                availability: group.availability)
        }
        name = topology.name
        rounds = topology.rounds
        clients = topology.clientCount
        clients_per_round = topology.clientsPerRound
        dataset = topology.dataset.name
        data_directory = plan.dataDirectory
        partition = topology.partition.name
        model = topology.model.name
        trainable_parameters = plan.model.trainableCount
        state_values = plan.model.stateCount
        method = topology.method.name
        aggregation = topology.aggregation.summary
        seed = topology.seed
        summary = plan.summary
        notes = plan.notes
    }
}

/// The JSON object `orchard validate --json` prints for a topology with mistakes.
struct InvalidTopologyReport: Encodable {
    let valid = false
    /// The earliest mistakes in the file.
    let diagnostics: [Diagnostic]
    /// How many more were found than `diagnostics` lists.
    let omitted: Int

    init(_ error: TopologyError) {
        diagnostics = error.diagnostics
        omitted = error.omitted
    }
}
