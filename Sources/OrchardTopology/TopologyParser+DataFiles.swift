import Foundation
import OrchardData

/// Checking that a real data set's files are where the topology says.
///
/// The files must exist, plain or gzip-compressed as the readers accept, and their sizes must be
/// what their headers promise (MNIST's IDX headers, CIFAR's whole records), so that a damaged
/// download is refused here rather than when a run has started. The samples themselves (labels
/// in range) are checked when a run loads them.
extension TopologyParser {
    /// The absolute folder of `dataset`'s files, after reporting any that are missing; nil for a
    /// generated data set.
    func checkDataFiles(_ dataset: DatasetSpec) -> String? {
        guard let written = dataset.path else { return nil }
        let folder = TopologyLoader.resolve(written, root: root)
        // A path that could not be read has its diagnostic; looking for the default folder instead
        // would only add a confusing second one.
        guard checksDataFiles, !log.hasDiagnostic(at: "dataset.path") else { return folder }
        let path = log.wasWritten("dataset.path") ? "dataset.path" : "dataset.kind"
        let shown = written == folder ? folder : "\(written) (\(folder), relative paths resolving against \(root))"
        guard isDirectory(folder) else {
            log.report("data folder \(shown) does not exist; \(advice(for: dataset))", path: path)
            return folder
        }
        switch dataset.kind {
        case .mnist, .fashionMNIST:
            let missing = MNIST.fileNames.filter { !isFile(folder + "/" + $0) && !isFile(folder + "/" + $0 + ".gz") }
            if !missing.isEmpty {
                log.report(
                    "data folder \(shown) lacks \(missing.map { $0 + "[.gz]" }.joined(separator: ", ")); "
                        + advice(for: dataset), path: path)
            } else {
                let variant: MNIST.Variant = dataset.kind == .mnist ? .mnist : .fashionMNIST
                checkContents(path: path, dataset: dataset) { () throws(DataError) in
                    try MNIST.checkFiles(directory: folder, variant: variant)
                }
            }
        case .cifar10, .cifar100:
            let variant: CIFAR.Variant = dataset.kind == .cifar10 ? .cifar10 : .cifar100
            let wanted = variant.trainFiles + [variant.testFile]
            let candidates = [folder, folder + "/" + variant.standardSubfolder]
            let counts = candidates.map { candidate in wanted.filter { isFile(candidate + "/" + $0) }.count }
            if !counts.contains(wanted.count) {
                // Name what the fuller of the two candidate folders lacks: the likely intent.
                let best = counts[1] > counts[0] ? candidates[1] : candidates[0]
                let missing = wanted.filter { !isFile(best + "/" + $0) }
                log.report(
                    "data folder \(shown) lacks \(missing.joined(separator: ", ")) (looked in it and in its "
                        + "\(variant.standardSubfolder)/ subfolder); \(advice(for: dataset))", path: path)
            } else {
                checkContents(path: path, dataset: dataset) { () throws(DataError) in
                    try CIFAR.checkFiles(directory: folder, variant: variant)
                }
            }
        case .syntheticImages, .synthetic:
            break
        }
        return folder
    }

    /// Runs `check` on the data files, reporting the file it finds at fault at `path`.
    private func checkContents(path: String, dataset: DatasetSpec, _ check: () throws(DataError) -> Void) {
        do {
            try check()
        } catch {
            log.report("\(error); \(advice(for: dataset))", path: path)
        }
    }

    /// What the user can do to get the files of `dataset`.
    private func advice(for dataset: DatasetSpec) -> String {
        switch dataset.kind {
        case .mnist:
            return "it should hold the four MNIST IDX files, which Scripts/fetch-mnist.sh writes into data/mnist"
        case .fashionMNIST:
            return "it should hold the four Fashion-MNIST IDX files "
                + "(github.com/zalandoresearch/fashion-mnist, train-* and t10k-*)"
        case .cifar10, .cifar100:
            return "unpack the binary version of \(dataset.displayName) (www.cs.toronto.edu/~kriz/cifar.html) there"
        case .syntheticImages, .synthetic:
            return "generated data needs no files"
        }
    }

    private func isFile(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && !folder.boolValue
    }

    private func isDirectory(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }
}
