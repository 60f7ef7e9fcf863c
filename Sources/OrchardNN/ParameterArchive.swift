import OrchardTensor

/// One entry of the name table of a parameter archive.
public struct ParameterEntry: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let kind: ParameterKind
    /// Offset of the first value in the contiguous buffer, in values.
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// A network's whole state as one contiguous Float32 buffer plus a name table.
///
/// Sparse weights are written dense, zeros at pruned positions; loading into a pruned network
/// keeps its masks and takes only the kept positions.
///
/// The buffer is what travels as one wire frame and what a checkpoint stores as one blob; the
/// table says where each named tensor lies in it.
public struct ParameterArchive: Sendable {
    public let entries: [ParameterEntry]
    public var values: [Float]

    /// Copies the state of `network` (parameters and running statistics, in its order).
    public init(_ network: Network) {
        var entries: [ParameterEntry] = []
        var offset = 0
        for named in network.parameters {
            let parameter = named.parameter
            entries.append(
                ParameterEntry(name: named.name, shape: parameter.shape, kind: parameter.kind, offset: offset))
            offset += parameter.denseCount
        }
        var values = [Float](repeating: 0, count: offset)
        values.withUnsafeMutableBufferPointer { buffer in
            for (entry, named) in zip(entries, network.parameters) {
                let dense = named.parameter.denseValue()
                withExtendedLifetime(dense) {
                    (buffer.baseAddress! + entry.offset).update(from: dense.data, count: entry.count)
                }
            }
        }
        self.entries = entries
        self.values = values
    }

    /// The table and values of an archive read elsewhere; the values must cover every entry.
    public init(entries: [ParameterEntry], values: [Float]) throws {
        let needed = entries.map { $0.offset + $0.count }.max() ?? 0
        guard needed <= values.count else {
            throw ArchiveError("the name table needs \(needed) values but the buffer has \(values.count)")
        }
        self.entries = entries
        self.values = values
    }

    /// Writes the values into `network`, checking that names and shapes match its parameters.
    public func load(into network: Network) throws {
        guard entries.count == network.parameters.count else {
            throw ArchiveError("archive has \(entries.count) tensors, \(network.name) has \(network.parameters.count)")
        }
        for (entry, named) in zip(entries, network.parameters) {
            guard entry.name == named.name, entry.shape == named.parameter.shape else {
                throw ArchiveError(
                    "archive tensor \(entry.name) \(entry.shape) does not match \(named.name) \(named.parameter.shape)"
                )
            }
        }
        values.withUnsafeBufferPointer { buffer in
            for (entry, named) in zip(entries, network.parameters) {
                named.parameter.assignDense(buffer.baseAddress! + entry.offset)
            }
        }
    }
}

/// A parameter archive that does not fit the network or is inconsistent.
public struct ArchiveError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
