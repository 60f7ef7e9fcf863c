import OrchardPruning
import Testing

@testable import OrchardFederation

/// A descriptor decodes a topology's values into its method's typed settings and builds both halves.
@Suite("method descriptor")
struct MethodDescriptorTests {
    static let setup = MethodSetup(
        seed: 1, model: "logreg", sampleShape: [1, 2, 2], classes: 3, training: LocalTraining(batch: 4))

    @Test("values decode into the typed settings, each other setting at its default")
    func decode() throws {
        let settings = try FedDSTSettings.decode(
            [
                "density": .number(0.2), "delta": .integer(3), "distribution": .choice("global"),
                "adjust_epochs": .integer(2),
            ],
            method: "feddst")
        #expect(settings.pruning.density == 0.2)
        #expect(settings.pruning.allocation == .global(minimum: LayerMinimum(fraction: 0, count: 1)))
        #expect(settings.schedule.interval == 3 && settings.schedule.decay.endRound == 100)
        #expect(settings.adjustEpochs == 2 && settings.pruning.storage == .automatic)
        #expect(settings.values["delta"] == .integer(3) && settings.values["t_end"] == .integer(100))
    }

    @Test("a wrong kind, a value out of range, a missing required setting and an unknown key are errors")
    func decodeErrors() {
        let cases: [([String: SettingValue], String)] = [
            (["density": .choice("high")], "'high' is not a valid value of 'density'"),
            (["density": .number(0.5), "delta": .integer(0)], "'0' is not a valid value of 'delta'"),
            (["delta": .integer(2)], "the setting 'density' is required"),
            (["density": .number(0.5), "dleta": .integer(2)], "feddst has no setting 'dleta'"),
        ]
        for (values, message) in cases {
            #expect(throws: FederationError.self) { try FedDSTSettings.decode(values, method: "feddst") }
            do {
                _ = try FedDSTSettings.decode(values, method: "feddst")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
    }

    @Test("the declarations give the topology its keys, kinds and the defaults of init()")
    func declarations() throws {
        let settings = MethodDescriptor.fedDST.settings
        #expect(settings.first?.key == "density" && settings.first?.defaultValue == nil)
        #expect(settings.first { $0.key == "adjust_alpha" }?.defaultValue == .number(0.2))
        #expect(settings.first { $0.key == "distribution" }?.defaultValue == .choice("erk"))
        guard case .choice(let words)? = settings.first(where: { $0.key == "storage" })?.kind else {
            Issue.record("storage is no choice")
            return
        }
        #expect(words == ["automatic", "compact", "masked"])
        #expect(MethodDescriptor.fedDST.trainingDensity(["density": .number(0.05)]) == 0.05)
        #expect(MethodDescriptor.fedAvg.trainingDensity([:]) == 1)
    }

    @Test("the registry builds both halves with the typed settings, and names the methods it knows")
    func build() throws {
        var setup = Self.setup
        setup.settings = ["density": .number(0.5), "adjust_epochs": .integer(1), "distribution": .choice("uniform")]
        let server = try #require(try MethodRegistry.standard.server("feddst", setup: setup) as? FedDSTServer)
        #expect(server.settings.adjustEpochs == 1 && server.settings.pruning.density == 0.5)
        let client = try #require(try MethodRegistry.standard.client("feddst", setup: setup) as? FedDSTClient)
        #expect(client.settings == server.settings)
        #expect(throws: FederationError.self) { try MethodRegistry.standard.server("fedsgd", setup: setup) }
        #expect(Set(MethodRegistry.standard.names).count == MethodRegistry.standard.methods.count)
    }

    @Test("task kinds travel by name, and an unknown name is an error")
    func taskKinds() throws {
        for kind in ClientTask.Kind.allCases { #expect(try ClientTask.Kind(wireName: kind.rawValue) == kind) }
        #expect(throws: FederationError.self) { try ClientTask.Kind(wireName: "evaluate-all") }
    }
}
