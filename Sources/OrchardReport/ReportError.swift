import OrchardStore

/// What the report cannot do, naming the file.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The run has no committed round, so there is nothing to summarise.
    case emptyRun(path: String, run: RunID)
    /// An export file or folder cannot be written.
    case cannotWrite(path: String, detail: String)

    public var description: String {
        switch self {
        case .emptyRun(let path, let run):
            "\(path): run \(run) has no committed round yet, so there is nothing to report"
        case .cannotWrite(let path, let detail):
            "\(path): cannot write (\(detail))"
        }
    }
}
