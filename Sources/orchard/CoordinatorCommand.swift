import ArgumentParser
import Foundation
import OrchardFormat
import OrchardRuntime
import OrchardTensor
import OrchardWire

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a topology's coordinator alone; hosts on other machines join with `orchard client`.")

    @OptionGroup var topology: TopologyFileChoice
    @OptionGroup var overrides: TopologyOverrides
    @Option(help: "Where to listen; tcp://0.0.0.0:5555 takes hosts from other machines (with --keys or --insecure).")
    var bind = "tcp://127.0.0.1:5555"
    @Option(
        parsing: .unconditional, help: "Hosts to wait for before the first round (at least every client must have one)."
    ) var hosts = 1
    @Option(help: "The run's SQLite file (default: runs/NAME.sqlite).") var db: String?
    @Flag(help: "Continue the run in --db from its last checkpoint.") var resume = false
    @Option(help: "Folder that relative data paths resolve against.") var root = "."
    @Flag(
        help: ArgumentHelp(
            "Measure each task's time on its link and record it beside the virtual clock's prediction "
                + "(`orchard report` compares them per group; Scripts/netns-run.sh runs hosts over shaped links)."))
    var measureLinks = false
    @OptionGroup var security: SecurityOptions

    func validate() throws {
        try OptionCheck.between("--hosts", hosts, 1...100_000)
        try security.validate(endpoint: bind, option: "--bind")
    }

    func run() throws {
        BLAS.setThreads(1)
        StopSignal.install()
        let wireSecurity = try security.coordinator(bind: bind)
        let plan = try TopologyCommand.load(topology.path, overrides: overrides, root: root)
        let database = db ?? "runs/\(plan.topology.name).sqlite"
        let place = try RunFilePlace(database)
        let session = try place.removingIfRefused {
            try CoordinatorSession(
                plan: plan, database: database, resume: resume, endpoint: bind, expectedHosts: hosts,
                security: wireSecurity, measureLinks: measureLinks)
        }
        FileHandle.standardError.write(Data("coordinator: listening on \(session.coordinator.boundEndpoint)\n".utf8))
        try RunOutput.execute(session, name: plan.topology.name, database: database)
    }
}

extension ProgressBar {
    /// Shows a round's line: clients answered, accuracy, bytes so far and simulated time.
    func round(_ step: Coordinator.Progress) {
        for note in step.notes { finish("warning: round \(step.round): \(note)") }
        let record = step.commit.round
        let accuracy = record.testAccuracy.map { " acc \(Format.decimal(100 * $0, 2))%" } ?? ""
        update(
            "round", done: step.round, total: step.rounds,
            detail: "\(record.answered)/\(record.sampled) answered\(accuracy), "
                + "up \(ByteFormat.binary(step.bytesUpTotal)) down \(ByteFormat.binary(step.bytesDownTotal)), "
                + "sim \(Format.decimal(step.simTime, 1)) s")
    }
}
