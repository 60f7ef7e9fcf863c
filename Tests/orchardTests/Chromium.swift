import Foundation

/// Debian's headless Chromium, which the HTML report tests open their pages in.
enum Chromium {
    /// The browser's path, or nil when it is not installed (`Scripts/install-deps.sh` installs it).
    static let path: String? = {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser"] {
            for folder in folders where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }()

    /// What the browser printed and how it ended.
    struct Outcome {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs the browser headless on `page` with `arguments`, in a profile folder of its own.
    static func run(_ arguments: [String], page: String, profile: String) throws -> Outcome {
        guard let path else { throw OrchardProcess.Failure(description: "chromium is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(profile)", "--enable-logging=stderr", "--v=0",
            ] + arguments + [URL(fileURLWithPath: page).absoluteString]
        let output = profile + ".out"
        let error = profile + ".err"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: error, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: error))
        try process.run()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, standardOutput: try String(contentsOfFile: output, encoding: .utf8),
            standardError: try String(contentsOfFile: error, encoding: .utf8))
    }
}
