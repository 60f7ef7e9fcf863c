import Foundation

/// Runs a sweep's pending runs as child `orchard run` processes, a few at a time.
struct SweepRunner {
    let executable: String
    let root: String
    /// Client-host processes each run starts.
    let processes: Int
    /// Runs at a time.
    let parallel: Int

    /// A run that is going: its process, its log and when it started.
    private struct Running {
        let job: SweepJob
        let number: Int
        let process: Process
        let log: FileHandle
        let started: ContinuousClock.Instant
    }

    /// Runs `jobs` (numbered after the `total - jobs.count` runs already complete), printing a line
    /// on standard error as each starts and ends; returns the jobs that failed.
    func run(_ jobs: [SweepJob], total: Int) throws -> [SweepJob] {
        var queue = jobs[...]
        var running: [Running] = []
        var failures: [SweepJob] = []
        var number = total - jobs.count
        while !queue.isEmpty || !running.isEmpty {
            while running.count < parallel, let job = queue.popFirst() {
                number += 1
                running.append(try start(job, number: number, total: total))
            }
            Thread.sleep(forTimeInterval: 0.05)
            for finished in running.filter({ !$0.process.isRunning }) {
                finished.process.waitUntilExit()
                try? finished.log.close()
                if !report(finished, total: total) { failures.append(finished.job) }
            }
            running.removeAll { !$0.process.isRunning }
        }
        return failures
    }

    private func start(_ job: SweepJob, number: Int, total: Int) throws -> Running {
        if !FileManager.default.fileExists(atPath: job.log) {
            _ = FileManager.default.createFile(atPath: job.log, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: job.log))
        try log.seekToEnd()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = job.arguments(root: root, processes: processes)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        SweepCommand.note("sweep: [\(number)/\(total)] \(job.name): \(job.resume ? "resuming" : "started")")
        return Running(job: job, number: number, process: process, log: log, started: .now)
    }

    /// Prints how a run ended; returns whether it completed.
    ///
    /// A run that exits cleanly without completing (stopped by an interrupt) is not counted as done.
    private func report(_ run: Running, total: Int) -> Bool {
        let seconds = (ContinuousClock.now - run.started).components
        let elapsed = String(format: "%.1f s", Double(seconds.seconds) + Double(seconds.attoseconds) / 1e18)
        let exited = run.process.terminationReason == .exit && run.process.terminationStatus == 0
        let completed: Bool
        do {
            completed = try exited && run.job.completedSummary() != nil
        } catch {
            completed = false
        }
        let ending: String
        if completed {
            ending = "completed in \(elapsed)"
        } else if exited {
            ending = "stopped before its last round after \(elapsed); the next call resumes it"
        } else {
            let cause = run.process.terminationReason == .exit ? "exit status" : "signal"
            ending = "failed (\(cause) \(run.process.terminationStatus)) after \(elapsed); see \(run.job.log)"
        }
        SweepCommand.note("sweep: [\(run.number)/\(total)] \(run.job.name): \(ending)")
        return completed
    }
}
