import ArgumentParser
import Foundation
import OrchardRuntime
import OrchardTensor

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a topology's coordinator alone; hosts on other machines join with `orchard client`.")

    @OptionGroup var topology: TopologyFileChoice
    @OptionGroup var overrides: TopologyOverrides
    @Option(help: "Where to listen, such as tcp://0.0.0.0:5555.") var bind = "tcp://0.0.0.0:5555"
    @Option(help: "Hosts to wait for before the first round (at least every client must have one).") var hosts = 1
    @Option(help: "The run's SQLite file (default: runs/NAME.sqlite).") var db: String?
    @Flag(help: "Continue the run in --db from its last checkpoint.") var resume = false
    @Option(help: "Folder that relative data paths resolve against.") var root = "."

    func validate() throws {
        guard hosts >= 1 else { throw ValidationError("--hosts must be positive, got \(hosts)") }
    }

    func run() throws {
        BLAS.setThreads(1)
        StopSignal.install()
        let plan = try TopologyCommand.load(topology.path, overrides: overrides, root: root)
        let database = db ?? "runs/\(plan.topology.name).sqlite"
        let session = try CoordinatorSession(
            plan: plan, database: database, resume: resume, endpoint: bind, expectedHosts: hosts)
        FileHandle.standardError.write(Data("coordinator: listening on \(session.coordinator.boundEndpoint)\n".utf8))
        try RunOutput.execute(session, name: plan.topology.name, database: database)
    }
}

extension ProgressBar {
    /// Shows a round's line: clients answered, accuracy, bytes so far and simulated time.
    func round(_ step: Coordinator.Progress) {
        let record = step.commit.round
        let accuracy = record.testAccuracy.map { " acc \(Format.decimal(100 * $0, 2))%" } ?? ""
        update(
            "round", done: step.round, total: step.rounds,
            detail: "\(record.answered)/\(record.sampled) answered\(accuracy), "
                + "up \(Format.bytes(step.bytesUpTotal)) down \(Format.bytes(step.bytesDownTotal)), "
                + "sim \(Format.decimal(step.simTime, 1)) s")
    }
}
