import OrchardPayload
import Testing

@testable import OrchardFederation

/// The run's value precision reaches every task through the registry, whatever the method.
@Suite("Value precision")
struct ValuePrecisionTests {
    func setup(precision: ValuePrecision) -> MethodSetup {
        var setup = MethodSetup(
            seed: 4, model: "lenet5", sampleShape: [1, 28, 28], classes: 10,
            training: LocalTraining(epochs: 1, batch: 16, learningRate: 0.05),
            settings: ["density": 0.1, "prune_first_layer": 1],
            choices: ["criterion": "random", "distribution": "erk", "budget": "all", "storage": "compact"])
        setup.valuePrecision = precision
        return setup
    }

    @Test(arguments: ["fedavg", "fixed-mask"])
    func everyTaskTravelsAtTheRunsPrecision(method: String) throws {
        let half = try MethodRegistry.server(method, setup: setup(precision: .float16))
        #expect(try half.tasks(round: 0, clients: [0, 2]).map(\.precision) == [.float16, .float16])
        let single = try MethodRegistry.server(method, setup: setup(precision: .float32))
        #expect(try single.tasks(round: 0, clients: [1]).map(\.precision) == [.float32])
    }

    @Test func theWrappedMethodKeepsItsModelAndCheckpoint() throws {
        let half = try MethodRegistry.server("fixed-mask", setup: setup(precision: .float16))
        let single = try MethodRegistry.server("fixed-mask", setup: setup(precision: .float32))
        #expect(half.global.masks == single.global.masks)
        #expect(half.checkpointExtra() == single.checkpointExtra())
        #expect(half.checkpointExtra() != nil)
    }
}
