import OrchardFederation
import OrchardTopology
import Testing

/// A memory budget must hold the model, its gradients and its optimizer state.
@Suite("Memory budgets")
struct BudgetTests {
    /// LeNet-5 on MNIST-shaped data: 61,706 parameters, all trainable.
    static let lenet = ModelFootprint(stateCount: 61_706, trainableCount: 61_706)

    @Test("the training floor of a dense model: values, gradients and momentum buffers")
    func denseFloor() {
        #expect(
            Self.lenet.trainingFloor(momentum: false)
                == MemoryFloor(parameters: 246_824, gradients: 246_824, optimizer: 0))
        #expect(Self.lenet.trainingFloor(momentum: true).total == 3 * 246_824)
    }

    @Test("at a density below one, kept weights carry an index and batch-norm statistics stay dense")
    func sparseFloor() {
        let footprint = ModelFootprint(stateCount: 1_100, trainableCount: 1_000)
        let floor = footprint.trainingFloor(momentum: true, density: 0.1)
        #expect(floor == MemoryFloor(parameters: 4 * 100 + 8 * 100, gradients: 400, optimizer: 400))
    }

    @Test("the zoo sizes LeNet-5 exactly")
    func measured() throws {
        let footprint = try ModelFootprint.measure(ModelSpec(name: "lenet5"), for: DatasetSpec(kind: .mnist))
        #expect(footprint == Self.lenet)
    }

    @Test("a budget below the floor is refused with what was needed and what was given")
    func tooSmall() {
        let text = """
            name: budget
            rounds: 1
            dataset: synthetic-images
            model: lenet5
            training: {momentum: 0.9}
            groups:
              - {name: big, count: 2, memory: 1MB}
              - {name: small, count: 2, memory: 700KiB}
            """
        let diagnostics = Fixture.diagnostics(text)
        #expect(diagnostics.count == 1)
        Fixture.expect(
            diagnostics, path: "groups[1].memory", line: 8, column: 37,
            mentioning: [
                "memory budget 700KiB is too small for lenet5 (61,706 trainable parameters, dense)",
                "at least 740,472 bytes (723.2KiB) before activations",
                "parameters 241.0KiB, gradients 241.0KiB, momentum buffers 241.0KiB",
            ])
    }

    @Test("a dense method notes each group that holds the floor but no full batch, with the predicted peak")
    func noFullBatch() throws {
        let text = """
            name: budget
            rounds: 1
            dataset: synthetic-images
            model: lenet5
            training: {batch: 32}
            groups:
              - {name: roomy, count: 2, memory: 64MB}
              - {name: tight, count: 2, memory: 1MB}
              - {name: unbounded, count: 2}

            """
        let plan = try Fixture.plan(text)
        let peak = try #require(
            try ModelFootprint.measure(ModelSpec(name: "lenet5"), for: DatasetSpec(kind: .mnist), batch: 32)
                .denseBatchPeak)
        // Parameters and gradients alone are 482 KiB; one batch of 32 adds its activations.
        #expect(peak > 1_000_000 && peak < 64_000_000)
        #expect(plan.notes.count == 1)
        let note = try #require(plan.notes.first)
        #expect(note.hasPrefix("groups[1] (tight): memory budget 1MB is below the "))
        #expect(note.contains("dense lenet5 training needs with batches of 32"))
        #expect(note.contains("refuse every task on which they hold 32 samples or more"))
        let sparse = try Fixture.plan(text + "method: {name: fixed-mask, density: 5%}\n")
        #expect(sparse.notes.isEmpty, "a sparse method's peak depends on its masks, so no note")
    }

    @Test("without momentum the floor has no optimizer state, so the same budget fits a smaller need")
    func withoutMomentum() throws {
        let text = """
            name: budget
            rounds: 1
            dataset: synthetic-images
            model: lenet5
            groups: [{count: 2, memory: 483KiB}]
            """
        #expect(try Fixture.plan(text).topology.groups[0].memory == 483 * 1024)
        let tight = Fixture.diagnostics(text.replacingOccurrences(of: "483KiB", with: "482KiB"))
        #expect(tight.first?.message.contains("no momentum buffers since momentum is 0") == true)
    }

    @Test("a sparse method's density lowers the floor")
    func sparseMethod() throws {
        var methods = MethodRegistry.standard
        methods.register(
            .demo(
                DensitySettings.self, name: "sparse", summary: "Trains a fixed fraction of the weights.",
                trainingDensity: \.density))
        let text = """
            name: sparse
            rounds: 1
            dataset: synthetic-images
            model: lenet5
            method: sparse
            groups: [{count: 2, memory: 100KiB}]
            """
        #expect(try Fixture.plan(text, methods: methods).topology.method.settings == ["density": .number(0.1)])
        let dense = Fixture.diagnostics(
            text.replacingOccurrences(of: "method: sparse", with: "method: {name: sparse, density: 100%}"),
            methods: methods)
        #expect(dense.map(\.path) == ["groups[0].memory"])
    }
}

/// One density setting, 10% by default.
struct DensitySettings: MethodSettings {
    var density = 0.1

    static let declarations: [SettingDeclaration<DensitySettings>] = [.fraction("density", \.density, "Kept.")]
}
