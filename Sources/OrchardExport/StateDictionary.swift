import OrchardNN

/// A network's state as PyTorch's `state_dict` names it, written to and read from safetensors.
///
/// Every parameter and running statistic keeps its Orchard name, which is PyTorch's
/// (`conv1.weight`, `layer1.0.bn1.running_var`), its shape and float32 values, pruned positions
/// holding zero. A mask is the uint8 tensor `<weight>.mask`, 1 where the weight is kept.
public enum StateDictionary {
    /// The suffix of a mask tensor's name.
    public static let maskSuffix = ".mask"
    /// The suffix of PyTorch's batch-norm step counter, which Orchard neither keeps nor needs.
    public static let batchCounterSuffix = ".num_batches_tracked"

    /// The network's state, each tensor under its name, with its masks when `masks` is true.
    public static func tensors(of network: Network, masks: Bool) -> [SafeTensor] {
        let archive = ParameterArchive(network)
        var tensors = archive.entries.map { entry in
            SafeTensor(
                name: entry.name, shape: entry.shape,
                floats: Array(archive.values[entry.offset..<(entry.offset + entry.count)]))
        }
        guard masks else { return tensors }
        for (name, indices) in network.masks.sorted(by: { $0.key < $1.key }) {
            guard let parameter = network.parameter(named: name) else { continue }
            var bytes = [UInt8](repeating: 0, count: parameter.denseCount)
            for index in indices { bytes[Int(index)] = 1 }
            tensors.append(SafeTensor(name: name + maskSuffix, dtype: .uint8, shape: parameter.shape, bytes: bytes))
        }
        return tensors
    }

    /// The state `file` gives `network`, as an archive in the network's order, after checking it
    /// name by name and shape by shape.
    ///
    /// Every parameter and running statistic must be present as float32 with the network's shape
    /// and finite values; besides them the file may hold masks (`<weight>.mask`, uint8 0 or 1, the
    /// weight's shape; weights are zeroed where their mask is 0) and PyTorch's
    /// `num_batches_tracked` counters, which are ignored. Anything else is an error.
    public static func archive(from file: SafeTensorsFile, for network: Network, source: String) throws(ImportError)
        -> ParameterArchive
    {
        let byName = Dictionary(file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let known = Set(network.parameters.map(\.name))
        let unexpected = file.tensors.map(\.name).filter { name in
            if known.contains(name) { return false }
            if name.hasSuffix(batchCounterSuffix) { return false }
            return !(name.hasSuffix(maskSuffix) && known.contains(String(name.dropLast(maskSuffix.count))))
        }
        let missing = network.parameters.map(\.name).filter { byName[$0] == nil }
        guard missing.isEmpty else {
            throw ImportError(
                "\(source): \(network.name) needs \(listed(missing)), which the file lacks"
                    + (unexpected.isEmpty ? "" : "; the file has \(listed(unexpected)) that \(network.name) does not"))
        }
        guard unexpected.isEmpty else {
            throw ImportError("\(source): \(network.name) has no tensor named \(listed(unexpected))")
        }
        var archive = ParameterArchive(network)
        for entry in archive.entries {
            guard let tensor = byName[entry.name] else { continue }
            var values = try checkedValues(tensor, entry: entry, source: source)
            if let mask = byName[entry.name + maskSuffix] {
                try applyMask(mask, to: &values, entry: entry, source: source)
            }
            archive.values.replaceSubrange(entry.offset..<(entry.offset + entry.count), with: values)
        }
        return archive
    }

    private static func checkedValues(_ tensor: SafeTensor, entry: ParameterEntry, source: String) throws(ImportError)
        -> [Float]
    {
        guard tensor.shape == entry.shape else {
            throw ImportError(
                "\(source): tensor '\(entry.name)' has shape \(tensor.shape) but the model's is \(entry.shape)")
        }
        guard let values = tensor.floats else {
            throw ImportError(
                "\(source): tensor '\(entry.name)' is \(tensor.dtype.rawValue); Orchard reads F32 weights")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ImportError("\(source): tensor '\(entry.name)' holds \(values[bad]) at flat index \(bad)")
        }
        return values
    }

    private static func applyMask(_ mask: SafeTensor, to values: inout [Float], entry: ParameterEntry, source: String)
        throws(ImportError)
    {
        guard mask.dtype == .uint8, mask.shape == entry.shape else {
            throw ImportError(
                "\(source): mask '\(mask.name)' is \(mask.dtype.rawValue) \(mask.shape); it must be U8 \(entry.shape)")
        }
        for (index, flag) in mask.bytes.enumerated() {
            guard flag <= 1 else {
                throw ImportError(
                    "\(source): mask '\(mask.name)' holds \(flag) at flat index \(index); masks hold 0 or 1")
            }
            if flag == 0 { values[index] = 0 }
        }
    }

    /// Up to five names, quoted, and how many more there are.
    private static func listed(_ names: [String]) -> String {
        let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
    }
}

/// Initial weights that do not fit the model they are meant for.
public struct ImportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
