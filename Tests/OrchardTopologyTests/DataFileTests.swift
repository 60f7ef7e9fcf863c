import OrchardData
import OrchardTopology
import Testing

/// Data paths resolve against the root, and a real data set's files must be there, plain or gzipped.
@Suite("Data files")
struct DataFileTests {
    static func topology(_ dataset: String) -> String {
        "name: files\nrounds: 1\ndataset: \(dataset)\nmodel: logreg\ngroups: [{count: 2}]\n"
    }

    @Test("MNIST reads data/mnist under the root by default, plain or gzipped files")
    func mnistDefaultPath() throws {
        let root = try ScratchFolder()
        try root.dataStandIns(
            [
                "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte.gz",
            ], in: "data/mnist")
        let plan = try Fixture.plan(Self.topology("mnist"), root: root.path)
        #expect(plan.dataDirectory == root.path + "/data/mnist")
        #expect(plan.topology.dataset.path == "data/mnist")
    }

    @Test("a missing MNIST folder is named with the root it was resolved against and the fetch script")
    func mnistMissingFolder() throws {
        let root = try ScratchFolder()
        let diagnostics = Fixture.diagnostics(Self.topology("mnist"), root: root.path)
        Fixture.expect(
            diagnostics, path: "dataset.kind", line: 3, column: 10,
            mentioning: [
                "data folder data/mnist (\(root.path)/data/mnist, relative paths resolving against \(root.path))",
                "does not exist", "Scripts/fetch-mnist.sh",
            ])
    }

    @Test("missing MNIST files are listed, at the path key when one is written")
    func mnistMissingFiles() throws {
        let root = try ScratchFolder()
        try root.placeholders(["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], in: "digits")
        let diagnostics = Fixture.diagnostics(Self.topology("{kind: mnist, path: digits}"), root: root.path)
        Fixture.expect(
            diagnostics, path: "dataset.path", line: 3, column: 30,
            mentioning: ["lacks train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]; it should hold"])
    }

    @Test("a path that is not text is reported once, without a second report about the default folder")
    func badPath() {
        let diagnostics = Fixture.diagnostics(Self.topology("{kind: mnist, path: [a, b]}"))
        #expect(diagnostics.map(\.description) == ["test.yaml:3:30: dataset.path: expected text, got a list"])
    }

    @Test("a key of the real data sets under a generated one names the kinds it applies to")
    func misplacedLimit() {
        let diagnostics = Fixture.diagnostics(Self.topology("{kind: synthetic-images, limit: 100}"))
        Fixture.expect(
            diagnostics, path: "dataset.limit", line: 3, column: 35,
            mentioning: ["applies to kinds cifar10, cifar100, fashion-mnist and mnist, not to synthetic-images"])
    }

    @Test("an absolute path is used as written")
    func absolutePath() throws {
        let folder = try ScratchFolder()
        try folder.dataStandIns(MNIST.fileNames, in: "fashion")
        let plan = try Fixture.plan(
            Self.topology("{kind: fashion-mnist, path: \(folder.path)/fashion}"), root: "/elsewhere")
        #expect(plan.dataDirectory == folder.path + "/fashion")
    }

    @Test("CIFAR-10 is found in the folder or in its standard subfolder")
    func cifar() throws {
        let root = try ScratchFolder()
        let variant = CIFAR.Variant.cifar10
        try root.dataStandIns(variant.trainFiles + [variant.testFile], in: "data/cifar10/cifar-10-batches-bin")
        let plan = try Fixture.plan(Self.topology("cifar10"), root: root.path)
        #expect(plan.dataDirectory == root.path + "/data/cifar10")
        try root.placeholders(["train.bin"], in: "data/cifar100")
        let diagnostics = Fixture.diagnostics(Self.topology("cifar100"), root: root.path)
        Fixture.expect(
            diagnostics, path: "dataset.kind", line: 3, column: 10,
            mentioning: ["lacks test.bin", "cifar-100-binary/", "www.cs.toronto.edu"])
    }

    @Test("MNIST pixels are byte / 255 unless the topology asks for standardised ones")
    func pixelScaling() throws {
        let plain = try Fixture.plan(Self.topology("mnist"), root: "/a", checksDataFiles: false)
        #expect(plain.topology.dataset.pixels == .unit)
        let standardised = try Fixture.plan(
            Self.topology("{kind: fashion-mnist, pixels: standardised}"), root: "/a", checksDataFiles: false)
        #expect(standardised.topology.dataset.pixels == .standardised)
        Fixture.expect(
            Fixture.diagnostics(Self.topology("{kind: mnist, pixels: normalised}"), checksDataFiles: false),
            path: "dataset.pixels", line: 3, column: 32,
            mentioning: ["unknown pixel scaling 'normalised'", "known: unit, standardised"])
        Fixture.expect(
            Fixture.diagnostics(Self.topology("{kind: cifar10, pixels: unit}"), checksDataFiles: false),
            path: "dataset.pixels", line: 3, column: 26, mentioning: ["applies to kinds fashion-mnist and mnist"])
    }

    @Test("with the check off, only the path is resolved")
    func checkOff() throws {
        let plan = try Fixture.plan(
            Self.topology("{kind: mnist, path: ../mnist}"), root: "/a/b", checksDataFiles: false)
        #expect(plan.dataDirectory == "/a/mnist")
    }

    @Test("resolving paths")
    func resolve() {
        #expect(TopologyLoader.resolve("data/mnist", root: "/repo") == "/repo/data/mnist")
        #expect(TopologyLoader.resolve("./data/../data/mnist", root: "/repo/") == "/repo/data/mnist")
        #expect(TopologyLoader.resolve("/srv/mnist", root: "/repo") == "/srv/mnist")
        #expect(TopologyLoader.resolve("~/mnist", root: "/repo").hasSuffix("/mnist"))
        #expect(!TopologyLoader.resolve("~/mnist", root: "/repo").hasPrefix("~"))
    }
}
