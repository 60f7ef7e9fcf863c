import OrchardStore

/// What the report cannot do, naming the file.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The run has no committed round, so there is nothing to summarise.
    case emptyRun(path: String, run: RunID)
    /// An export file or folder cannot be written.
    case cannotWrite(path: String, detail: String)
    /// A sweep's figures name an axis the sweep does not have.
    case unknownAxis(String, axes: [String])
    /// A sweep's figures compare against a value its series axis does not have.
    case unknownValue(String, axis: String, values: [String])

    public var description: String {
        switch self {
        case .emptyRun(let path, let run):
            "\(path): run \(run) has no committed round yet, so there is nothing to report"
        case .cannotWrite(let path, let detail):
            "\(path): cannot write (\(detail))"
        case .unknownAxis(let axis, let axes):
            "the sweep has no axis '\(axis)' for this role; its axes: \(axes.joined(separator: ", "))"
        case .unknownValue(let value, let axis, let values):
            "the sweep's axis '\(axis)' has no value '\(value)'; its values: \(values.joined(separator: ", "))"
        }
    }
}
