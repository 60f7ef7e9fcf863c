import OrchardFederation
import OrchardTopology
import Testing

/// Methods come from a registry, and a method's settings are checked against what it declares.
@Suite("Methods")
struct MethodRegistryTests {
    /// A registry with a method that has one setting of each kind.
    static let registry: MethodRegistry = {
        var registry = MethodRegistry.standard
        registry.register(.demo(DemoSettings.self))
        return registry
    }()

    static func text(_ method: String) -> String {
        Fixture.minimal.replacingOccurrences(of: "model: logreg", with: "model: logreg\nmethod: \(method)")
    }

    @Test("the standard registry holds FedAvg, without settings, and the sparse methods")
    func standard() {
        #expect(MethodRegistry.standard.names.starts(with: ["fedavg", "fixed-mask"]))
        #expect(MethodRegistry.standard.descriptor(named: "fedavg")?.settings.isEmpty == true)
        let fixed = MethodRegistry.standard.descriptor(named: "fixed-mask")
        #expect(fixed?.settings.first { $0.key == "density" }?.defaultValue == nil)
        #expect(fixed?.trainingDensity(["density": .number(0.05)]) == 0.05)
    }

    @Test("a sparse method needs its density")
    func densityRequired() {
        let diagnostics = Fixture.diagnostics(Self.text("fixed-mask"))
        #expect(diagnostics.contains { $0.message.contains("density") }, "\(diagnostics.map(\.message))")
    }

    @Test("settings written are read with their kinds, and the others take their defaults")
    func settings() throws {
        let plan = try Fixture.plan(
            Self.text("{name: demo, rate: -0.5, share: 25%, criterion: random}"), methods: Self.registry)
        #expect(
            plan.topology.method.settings == [
                "rounds_between": .integer(10), "rate": .number(-0.5), "share": .number(0.25),
                "reverse": .boolean(true), "criterion": .choice("random"),
            ])
        #expect(
            plan.summary.contains("demo (criterion random, rate -0.5, reverse true, rounds_between 10, share 0.25)"))
    }

    @Test("each kind of setting refuses what it cannot hold, and a required one must be written")
    func badSettings() {
        let text = Self.text(
            "{name: demo, rounds_between: 51, share: 0, reverse: sure, criterion: magnitud, raet: 1}")
        let diagnostics = Fixture.diagnostics(text, methods: Self.registry)
        #expect(
            Set(diagnostics.map(\.path)) == [
                "method", "method.rounds_between", "method.share", "method.reverse", "method.criterion", "method.raet",
            ])
        #expect(diagnostics.first { $0.path == "method" }?.message == "missing required key 'rate'")
        #expect(diagnostics.first { $0.path == "method.rounds_between" }?.message == "must be at most 50, got 51")
        #expect(diagnostics.first { $0.path == "method.criterion" }?.message.contains("'magnitude'") == true)
        #expect(diagnostics.first { $0.path == "method.raet" }?.message.contains("did you mean 'rate'?") == true)
    }

    @Test("FedAvg takes no settings")
    func fedAvgSettings() {
        let diagnostics = Fixture.diagnostics(Self.text("{name: fedavg, lr: 0.1}"))
        Fixture.expect(diagnostics, path: "method.lr", line: 5, column: 24, mentioning: ["fedavg takes no settings"])
    }

    @Test("a registry without FedAvg makes the method required")
    func noDefault() {
        let registry = MethodRegistry([.demo(NoSettings.self, name: "other")])
        let diagnostics = Fixture.diagnostics(Fixture.minimal, methods: registry)
        #expect(diagnostics.map(\.message) == ["missing required key 'method'"])
    }

    @Test("registering a name again replaces the method")
    func replace() {
        var registry = MethodRegistry.standard
        registry.register(.demo(NoSettings.self, name: "fedavg", summary: "Replaced."))
        #expect(registry.names == MethodRegistry.standard.names)
        #expect(registry.descriptor(named: "fedavg")?.summary == "Replaced.")
    }
}

/// A method's settings with one setting of each kind.
struct DemoSettings: MethodSettings {
    enum Criterion: String, Sendable, CaseIterable {
        case magnitude, random
    }

    var roundsBetween = 10
    var rate = 0.0
    var share = 0.5
    var reverse = true
    var criterion = Criterion.magnitude

    static let declarations: [SettingDeclaration<DemoSettings>] = [
        .integer("rounds_between", \.roundsBetween, in: 1...50, "."),
        .number("rate", \.rate, in: -1...1, required: true, "Required."),
        .fraction("share", \.share, "."),
        .boolean("reverse", \.reverse, "."),
        .choice("criterion", \.criterion, "."),
    ]
}

extension MethodDescriptor {
    /// A method for tests with `settings`, whose halves are FedAvg's.
    static func demo<Settings: MethodSettings>(
        _ settings: Settings.Type, name: String = "demo", summary: String = "A method for tests.",
        trainingDensity: @escaping @Sendable (Settings) -> Double = { _ in 1 }
    ) -> MethodDescriptor {
        MethodDescriptor(
            name: name, summary: summary, settings: settings, trainingDensity: trainingDensity,
            server: { setup, _ in try FedAvgServer(setup: setup) },
            client: { setup, _ in try FedAvgClient(setup: setup) })
    }
}
