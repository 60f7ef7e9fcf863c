import Foundation
import OrchardData
import OrchardFederation
import OrchardTopology
import Testing

/// The topologies in `topologies/` load, against a root with stand-ins for the MNIST and CIFAR-10 files.
@Suite("Shipped topologies")
struct ShippedTopologyTests {
    static let folder = Fixture.packageRoot + "/topologies"

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("every shipped topology is valid")
    func everyFileLoads() throws {
        #expect(Self.files.contains("quickstart.yaml"))
        let root = try ScratchFolder()
        try root.dataStandIns(MNIST.fileNames, in: "data/mnist")
        try root.dataStandIns(CIFAR.Variant.cifar10.trainFiles + [CIFAR.Variant.cifar10.testFile], in: "data/cifar10")
        for file in Self.files {
            do {
                _ = try TopologyLoader(root: root.path).load(file: Self.folder + "/" + file)
            } catch {
                Issue.record("\(file) does not load:\n\(error)")
            }
        }
    }

    @Test("the quickstart needs no data files")
    func quickstart() throws {
        let plan = try TopologyLoader(root: "/nonexistent").load(file: Self.folder + "/quickstart.yaml")
        #expect(plan.topology.dataset.isGenerated)
        #expect(plan.topology.clientCount <= 20)
    }

    @Test("mnist-fedavg-10 is the configuration its comment promises")
    func mnistTen() throws {
        let topology = try TopologyLoader(root: "/", checksDataFiles: false)
            .load(file: Self.folder + "/mnist-fedavg-10.yaml").topology
        #expect(topology.dataset.kind == .mnist && topology.dataset.path == "data/mnist")
        #expect(topology.model.name == "lenet5")
        #expect(topology.partition == .dirichlet(alpha: 0.5, minimum: 10))
        #expect(topology.clientCount == 10 && topology.clientsPerRound == 10)
        #expect(topology.rounds == 20)
        #expect(
            topology.training
                == LocalTraining(epochs: 1, batch: 32, learningRate: 0.05, momentum: 0, freshOptimizer: true))
        #expect(topology.method.name == "fedavg")
    }

    @Test("the complete example of docs/topology.md is valid")
    func documentedExample() throws {
        let reference = try String(contentsOfFile: Fixture.packageRoot + "/docs/topology.md", encoding: .utf8)
        let start = try #require(reference.range(of: "## A complete example\n\n```yaml\n"))
        let end = try #require(reference.range(of: "```", range: start.upperBound..<reference.endIndex))
        let example = String(reference[start.upperBound..<end.lowerBound])
        let plan = try Fixture.plan(example, checksDataFiles: false)
        #expect(plan.topology.clientCount == 100)
        #expect(plan.topology.groups.map(\.name) == ["phones", "laptops"])
    }

    @Test("the MNIST examples name the folder Scripts/fetch-mnist.sh writes")
    func mnistFolder() throws {
        let root = try ScratchFolder()
        for file in Self.files where file.hasPrefix("mnist") {
            do {
                _ = try TopologyLoader(root: root.path).load(file: Self.folder + "/" + file)
                Issue.record("\(file) loaded without data/mnist")
            } catch {
                #expect(error.diagnostics.count == 1)
                #expect(
                    error.description.contains("data/mnist") && error.description.contains("Scripts/fetch-mnist.sh"))
            }
        }
    }
}
