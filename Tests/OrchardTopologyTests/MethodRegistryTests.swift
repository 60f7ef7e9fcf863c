import OrchardTopology
import Testing

/// Methods come from a registry, and a method's settings are checked against what it declares.
@Suite("Methods")
struct MethodRegistryTests {
    /// A registry with a method that has one setting of each kind.
    static let registry: MethodRegistry = {
        var registry = MethodRegistry.standard
        registry.register(
            MethodDescriptor(
                name: "demo", summary: "A method for tests.",
                settings: [
                    MethodSetting(
                        key: "rounds_between", kind: .integer(1...50), defaultValue: .integer(10), summary: "."),
                    MethodSetting(key: "rate", kind: .number(-1...1), defaultValue: nil, summary: "Required."),
                    MethodSetting(key: "share", kind: .fraction, defaultValue: .number(0.5), summary: "."),
                    MethodSetting(key: "reverse", kind: .boolean, defaultValue: .boolean(true), summary: "."),
                    MethodSetting(
                        key: "criterion", kind: .choice(["magnitude", "random"]), defaultValue: .choice("magnitude"),
                        summary: "."),
                ]))
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
        let registry = MethodRegistry([MethodDescriptor(name: "other", summary: ".")])
        let diagnostics = Fixture.diagnostics(Fixture.minimal, methods: registry)
        #expect(diagnostics.map(\.message) == ["missing required key 'method'"])
    }

    @Test("registering a name again replaces the method")
    func replace() {
        var registry = MethodRegistry.standard
        registry.register(MethodDescriptor(name: "fedavg", summary: "Replaced."))
        #expect(registry.names == MethodRegistry.standard.names)
        #expect(registry.descriptor(named: "fedavg")?.summary == "Replaced.")
    }
}
