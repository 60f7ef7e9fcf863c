/// A data file or folder that cannot be used, with the path and what is wrong with it.
///
/// The description reads `path: problem`, for example
/// `data/mnist/train-images-idx3-ubyte.gz: truncated: header says 60000 images of 28x28
/// (47040016 bytes) but the file has 1000 bytes`, so that a command-line user can act on it
/// without a debugger.
public struct DataError: Error, CustomStringConvertible, Sendable {
    /// The file or folder at fault.
    public let path: String
    /// What is wrong, in words.
    public let problem: String

    /// Creates an error about `path`.
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `path: problem`.
    public var description: String { "\(path): \(problem)" }
}

/// A partition that cannot be made with the arguments given, such as more clients than samples.
public struct PartitionError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and, where it helps, what to change.
    public let description: String

    /// Creates an error with its explanation.
    public init(_ description: String) {
        self.description = description
    }
}
