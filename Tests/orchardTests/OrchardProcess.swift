import Foundation
import OrchardTestSupport
import Testing

/// Runs the built `orchard` executable as a child process and collects what it printed.
///
/// Standard output and standard error go to temporary files rather than pipes, so that a chatty
/// child can never block on a full pipe while the test waits for it to exit.
enum OrchardProcess {
    /// How one run of `orchard` ended and what it printed.
    struct Outcome: CustomStringConvertible {
        let arguments: [String]
        /// The exit status, or the signal number when `exitedNormally` is false.
        let status: Int32
        /// Whether the process called `exit` rather than dying of a signal (a crash).
        let exitedNormally: Bool
        let standardOutput: String
        let standardError: String

        /// The command line, status and both streams, for failure messages.
        var description: String {
            let ending = exitedNormally ? "exit status \(status)" : "killed by signal \(status)"
            return "orchard \(arguments.joined(separator: " ")): \(ending)\n"
                + "--- stdout ---\n\(standardOutput)--- stderr ---\n\(standardError)--- end ---"
        }

        /// The lines of standard error, without empty ones.
        var errorLines: [String] {
            standardError.split(separator: "\n").map(String.init)
        }

        /// Parses standard output as exactly one JSON object on one line, as `--json` promises.
        func report(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONReport {
            try #require(
                exitedNormally && status == 0, "expected success from \(self)", sourceLocation: sourceLocation)
            let lines = standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(
                lines.count == 2 && lines[1].isEmpty,
                "expected one line of JSON on stdout, got \(lines.count - 1) lines from \(self)",
                sourceLocation: sourceLocation)
            return try JSONReport(parsing: String(lines[0]), sourceLocation: sourceLocation)
        }
    }

    /// Why `orchard` could not be run.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `orchard` with `arguments`, and `environment` over this process's, until it exits.
    ///
    /// The test's time limit bounds the wait: when it cancels the test, the child is terminated
    /// and the cancellation thrown, so no orchard keeps running behind a failed test.
    ///
    /// - Parameters:
    ///   - directory: The folder it runs in (default: this process's).
    ///   - unprivileged: Whether to run it as a user who may write only where anyone may: when the
    ///     tests run as root, whom file modes do not stop, it runs as `nobody` through `setpriv`.
    static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        unprivileged: Bool = false
    ) async throws -> Outcome {
        let process = Process()
        if unprivileged && geteuid() == 0 {
            process.executableURL = URL(fileURLWithPath: setpriv)
            process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", try executable().path] + arguments
        } else {
            process.executableURL = try executable()
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        let streams = try TemporaryFolder()
        defer { streams.remove() }
        let outputPath = streams.file("stdout")
        let errorPath = streams.file("stderr")
        try Data().write(to: URL(fileURLWithPath: outputPath))
        try Data().write(to: URL(fileURLWithPath: errorPath))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? error.close()
        }
        process.standardOutput = output
        process.standardError = error

        try process.run()
        while process.isRunning {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                // The test was cancelled: leave no orchard running behind it.
                process.terminate()
                throw error
            }
        }
        process.waitUntilExit()
        return Outcome(
            arguments: arguments, status: process.terminationStatus,
            exitedNormally: process.terminationReason == .exit,
            standardOutput: try String(contentsOfFile: outputPath, encoding: .utf8),
            standardError: try String(contentsOfFile: errorPath, encoding: .utf8))
    }

    /// The tool that runs a command as another user, for `unprivileged` runs as root.
    static let setpriv = "/usr/bin/setpriv"

    /// Whether `unprivileged` runs can drop root's privileges here (or need not).
    static var canRunUnprivileged: Bool {
        geteuid() != 0 || FileManager.default.isExecutableFile(atPath: setpriv)
    }

    /// The `orchard` executable of the build that produced this test bundle.
    ///
    /// SwiftPM puts executables next to the test bundle in the build products folder, so that
    /// folder is searched first; then `.build/debug` and `.build/release` of the package that
    /// holds this source file.
    static func executable() throws -> URL {
        var folders: [URL] = []
        if let runner = Bundle.main.executableURL {
            folders.append(runner.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        folders.append(Bundle.main.bundleURL.resolvingSymlinksInPath())
        // Tests/orchardTests/OrchardProcess.swift: three levels below the package root.
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent(".build/debug"))
        folders.append(packageRoot.appendingPathComponent(".build/release"))
        var seen = Set<String>()
        folders.removeAll { !seen.insert($0.standardizedFileURL.path).inserted }
        for folder in folders {
            let candidate = folder.appendingPathComponent("orchard")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(
            description: "no orchard executable in \(folders.map(\.path).joined(separator: ", ")); "
                + "build it with `swift build --build-tests`")
    }
}

/// The JSON object that `orchard ... --json` prints, with checked access to its fields.
struct JSONReport {
    let fields: [String: Any]

    /// Parses `text`, which must be one JSON object.
    init(parsing text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        fields = try #require(value as? [String: Any], "not a JSON object: \(text)", sourceLocation: sourceLocation)
    }

    /// Wraps an object already parsed, such as one element of a list.
    init(fields: [String: Any]) { self.fields = fields }

    /// The number under `key`, integer or not.
    func number(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
        let value = try #require(
            fields[key] as? NSNumber, "no number '\(key)' among \(fields.keys.sorted())", sourceLocation: sourceLocation
        )
        return value.doubleValue
    }

    /// The whole number under `key`.
    func integer(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        try #require(
            fields[key] as? Int, "no integer '\(key)' in \(fields)", sourceLocation: sourceLocation)
    }

    /// The list of whole numbers under `key`.
    func integers(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int] {
        try #require(
            fields[key] as? [Int], "no list of integers '\(key)' in \(fields)", sourceLocation: sourceLocation)
    }

    /// The string under `key`.
    func string(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(fields[key] as? String, "no string '\(key)' in \(fields)", sourceLocation: sourceLocation)
    }

    /// The list of objects under `key`.
    func objects(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONReport] {
        let list = try #require(
            fields[key] as? [[String: Any]], "no list of objects '\(key)' in \(fields)",
            sourceLocation: sourceLocation)
        return list.map(JSONReport.init(fields:))
    }
}

/// Expects `outcome` to be an orderly exit with `status`, an empty stdout, and a stderr
/// that mentions every piece of `mentions`.
func expectRefusal(
    _ outcome: OrchardProcess.Outcome, status: Int32, mentioning mentions: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(outcome.exitedNormally, "crashed: \(outcome)", sourceLocation: sourceLocation)
    #expect(outcome.status == status, "wrong exit status: \(outcome)", sourceLocation: sourceLocation)
    #expect(outcome.standardOutput.isEmpty, "printed on stdout: \(outcome)", sourceLocation: sourceLocation)
    #expect(
        outcome.standardError.hasPrefix("Error: "), "stderr does not start with 'Error: ': \(outcome)",
        sourceLocation: sourceLocation)
    for mention in mentions {
        #expect(
            outcome.standardError.contains(mention), "stderr does not mention \"\(mention)\": \(outcome)",
            sourceLocation: sourceLocation)
    }
}
