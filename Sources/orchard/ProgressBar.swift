import Foundation

/// A one-line progress display on standard error, redrawn at most ten times a second.
///
/// When standard error is not a terminal (a log file, CI), it prints a plain line at each tenth of
/// the way instead, so logs stay short and readable.
final class ProgressBar {
    private let enabled: Bool
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var lastTenth = -1

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ label: String, done: Int, total: Int, detail: String) {
        guard enabled, total > 0 else { return }
        if interactive {
            let now = ContinuousClock.now
            guard done == total || now - lastDraw >= .milliseconds(100) else { return }
            lastDraw = now
            let width = 30
            let filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\(label) [\(bar)] \(done)/\(total) \(detail)\u{1B}[K")
        } else {
            let tenth = 10 * done / total
            guard tenth != lastTenth else { return }
            lastTenth = tenth
            write("\(label) \(done)/\(total) \(detail)\n")
        }
    }

    /// Ends the current line with a summary.
    func finish(_ summary: String) {
        guard enabled else { return }
        write(interactive ? "\r\(summary)\u{1B}[K\n" : "\(summary)\n")
        lastTenth = -1
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
