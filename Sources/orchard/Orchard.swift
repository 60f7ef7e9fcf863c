import ArgumentParser
import Foundation
import Logging

@main
struct Orchard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orchard", abstract: "A distributed federated-pruning simulator.",
        subcommands: [
            Train.self, Bench.self, Validate.self, Run.self, CoordinatorCommand.self, Client.self, Report.self,
            Compare.self, SweepCommand.self, Keys.self, Export.self,
        ])

    /// Sends the runtime's log to standard error, at the level `ORCHARD_LOG_LEVEL` names (`info`
    /// when unset), then runs the command.
    static func main() {
        let level: Logger.Level
        switch LogLevelSetting.read(ProcessInfo.processInfo.environment) {
        case .success(let read): level = read
        case .failure(let error):
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        main(nil)
    }
}

/// The log level of the `ORCHARD_LOG_LEVEL` environment variable.
enum LogLevelSetting {
    static let variable = "ORCHARD_LOG_LEVEL"

    /// The level the environment names, `info` when it names none, or an error naming the
    /// variable, what it holds and the levels it may hold.
    static func read(_ environment: [String: String]) -> Result<Logger.Level, ValidationError> {
        guard let text = environment[variable], !text.isEmpty else { return .success(.info) }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(ValidationError("\(variable) is '\(text)'; it must be one of \(levels)"))
        }
        return .success(level)
    }
}
