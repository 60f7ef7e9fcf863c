import ArgumentParser
import Foundation
import OrchardTopology

/// The `--set KEY.PATH=VALUE` options of the commands that read a topology.
struct TopologyOverrides: ParsableArguments {
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "Override a key of the topology, such as method.density=5% or groups[0].count=20 (repeatable; "
                + "the value is YAML, checked like the file).",
            valueName: "key.path=value"))
    var arguments: [String] = []

    /// The overrides, in the order given.
    /// - Throws: `TopologyError` naming the first argument that is not `KEY.PATH=VALUE`.
    func parsed() throws(TopologyError) -> [TopologyOverride] {
        var overrides: [TopologyOverride] = []
        for argument in arguments { overrides.append(try TopologyOverride(parsing: argument)) }
        return overrides
    }
}

/// The topology file of `coordinator` and `client`: an argument, or `--topology` as before.
struct TopologyFileChoice: ParsableArguments {
    @Argument(help: "The topology file (YAML).") var file: String?
    @Option(help: "The topology file, as an option (the same as the argument).") var topology: String?

    func validate() throws {
        guard (file == nil) != (topology == nil) else {
            throw ValidationError(
                file == nil
                    ? "give the topology file" : "give the topology file once, as an argument or with --topology")
        }
    }

    /// The file given; `validate()` has checked that there is exactly one.
    var path: String { file ?? topology ?? "" }
}
