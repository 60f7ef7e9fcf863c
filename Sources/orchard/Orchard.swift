import ArgumentParser

@main
struct Orchard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchard", abstract: "A distributed federated-pruning simulator.",
        subcommands: [
            Train.self, Bench.self, Validate.self, Run.self, CoordinatorCommand.self, Client.self, Report.self,
            Compare.self, SweepCommand.self,
        ])
}
