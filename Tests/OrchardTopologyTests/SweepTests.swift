import Foundation
import OrchardFederation
import OrchardTestSupport
import OrchardTopology
import Synchronization
import Testing

/// Sweep files: axes, values set together, seeds, and their mistakes.
@Suite("Sweep files")
struct SweepTests {
    /// Writes `text` as `sweeps/s.yaml` in a new folder and reads it.
    func load(_ text: String) throws -> (Sweep, TemporaryFolder) {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("sweeps"), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: folder.file("sweeps/s.yaml")))
        return (try Sweep.load(file: folder.file("sweeps/s.yaml")), folder)
    }

    @Test("the grid is every combination of the axes, the first axis slowest, each cell with its overrides")
    func grid() throws {
        let (sweep, folder) = try load(
            """
            topology: ../base.yaml
            set: {rounds: 4}
            axes:
              method.name: [fixed-mask, prunefl]
              method.density: [10%, 5%]
            seeds: [0, 1, 2]
            """)
        defer { folder.remove() }
        #expect(sweep.topology == folder.file("base.yaml"))
        #expect(sweep.seeds == [0, 1, 2])
        let cells = sweep.cells
        #expect(cells.map(\.name) == ["fixed-mask_10pct", "fixed-mask_5pct", "prunefl_10pct", "prunefl_5pct"])
        #expect(cells[2].overrides.map(\.argument) == ["rounds=4", "method.name=prunefl", "method.density=10%"])
        #expect(cells[2].settings.map(\.label) == ["prunefl", "10pct"])
        #expect(cells[0].overrides(seed: 2).last?.argument == "seed=2")
        #expect(cells[0].runName(seed: 2) == "fixed-mask_10pct-seed2")
    }

    @Test("a value may set several keys together, named by its label")
    func valuesSetTogether() throws {
        let (sweep, folder) = try load(
            """
            topology: base.yaml
            axes:
              method:
                - {label: fedavg, method: {name: fedavg}}
                - {label: snip, method.name: fixed-mask, method.criterion: snip}
                - {method.name: prunefl, method.delta: 2}
            seeds: [3]
            """)
        defer { folder.remove() }
        #expect(sweep.cells.map(\.name) == ["fedavg", "snip", "prunefl-2"])
        #expect(sweep.cells[0].overrides.map(\.argument) == ["method={name: fedavg}"])
        #expect(sweep.cells[1].overrides.map(\.argument) == ["method.name=fixed-mask", "method.criterion=snip"])
    }

    @Test("mistakes are reported with their key paths, all at once")
    func mistakes() throws {
        do {
            _ = try load(
                """
                axes:
                  method.name: []
                  method.density: [5%, 5%]
                seeds: [0, 0]
                extra: 1
                """)
            Issue.record("expected the sweep to be refused")
        } catch let error as TopologyError {
            let paths = Set(error.diagnostics.map(\.path))
            #expect(paths == ["", "axes.method.name", "axes.method.density", "seeds", "extra"], "\(error)")
        }
    }

    @Test("a base path joins the sweep file's folder without resolving links")
    func joinsPaths() {
        #expect(Sweep.joined("topologies/sweeps/", "../base.yaml") == "topologies/base.yaml")
        #expect(Sweep.joined("", "base.yaml") == "base.yaml")
        #expect(Sweep.joined("a/", "/abs/b.yaml") == "/abs/b.yaml")
        #expect(Sweep.joined("/x/y/", "./../z.yaml") == "/x/z.yaml")
    }
}

/// The sweep files in `topologies/sweeps/`: every cell of each is a valid topology.
@Suite("Shipped sweeps", .serialized)
struct ShippedSweepTests {
    /// The methods of each file's cells, once loaded: the suite's tests share them.
    static let loaded = Mutex<[String: [String]]>([:])

    @Test("every cell of every shipped sweep validates")
    func everyCellValidates() throws {
        let folder = Fixture.packageRoot + "/topologies/sweeps"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        #expect(files.contains("compare-mnist-lenet5.yaml"))
        for file in files.sorted() {
            let methods = try Self.methods(of: folder + "/" + file)
            #expect(!methods.isEmpty, "\(file)")
        }
    }

    @Test("the results sweeps run every method but the dense FedAvg (and supermasks only without batch norm)")
    func resultsSweepsCoverEveryMethod() throws {
        let folder = Fixture.packageRoot + "/topologies/sweeps"
        let sparse = Set(MethodRegistry.standard.names).subtracting(["fedavg"])
        #expect(Set(try Self.methods(of: folder + "/results-mnist-lenet5.yaml")) == sparse)
        #expect(Set(try Self.methods(of: folder + "/results-mnist-resnet8.yaml")) == sparse.subtracting(["hidenseek"]))
        #expect(Set(try Self.methods(of: folder + "/results-mnist-lenet5-dense.yaml")) == ["fedavg"])
        for model in ["resnet18", "vgg11"] {
            let methods = try Self.methods(of: folder + "/results-cifar10-\(model).yaml")
            #expect(Set(methods) == sparse.subtracting(["hidenseek"]), "\(model)")
        }
        #expect(Set(try Self.methods(of: folder + "/results-cifar10-dense.yaml")) == ["fedavg"])
    }

    @Test("the comparison sweeps run every method (supermasks only without batch norm)")
    func comparisonSweepsCoverEveryMethod() throws {
        let folder = Fixture.packageRoot + "/topologies/sweeps"
        let every = Set(MethodRegistry.standard.names)
        for file in ["compare-mnist-lenet5", "compare-mnist-lenet5-1pct"] {
            #expect(Set(try Self.methods(of: folder + "/\(file).yaml")) == every, "\(file)")
        }
        for file in ["compare-synthetic-resnet18", "compare-synthetic-vgg11"] {
            #expect(Set(try Self.methods(of: folder + "/\(file).yaml")) == every.subtracting(["hidenseek"]), "\(file)")
        }
    }

    /// The method of every cell of the sweep `file`, each cell loaded as a topology; a cell that
    /// does not load is recorded as an issue.
    ///
    /// The CIFAR-10 sweeps build an 11M-parameter model per cell, a second each in a debug build,
    /// so of theirs only the cells that vary the first axis alone are loaded: each method once, at
    /// the other axes' first values (a density is a fraction, checked by every other sweep).
    static func methods(of file: String) throws -> [String] {
        if let names = loaded.withLock({ $0[file] }) { return names }
        let loader = TopologyLoader(root: "/", checksDataFiles: false)
        let sweep = try Sweep.load(file: file)
        var cells = sweep.cells
        if file.hasSuffix("-resnet18.yaml") || file.hasSuffix("-vgg11.yaml") {
            let firsts = sweep.axes.dropFirst().map { $0.values[0].label }
            cells = cells.filter { Array($0.settings.dropFirst().map(\.label)) == firsts }
        }
        var names: [String] = []
        for cell in cells {
            do {
                names.append(
                    try loader.load(file: sweep.topology, overrides: cell.overrides(seed: 0)).topology.method.name)
            } catch {
                Issue.record("\(file), cell \(cell.name):\n\(error)")
            }
        }
        loaded.withLock { $0[file] = names }
        return names
    }
}
